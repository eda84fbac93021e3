"""python manage.py batch_districts walking coverage hotspots [--district 510104 ...] [--workers N]
[--scheduler tcp://host:8786]: batch work per district on Dask (layers/jobs/districts.py)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from layers.jobs.districts import STEP_NAMES_ZH, STEPS, DistrictOutcome, check_steps, district_codes, run_per_district


class Command(BaseCommand):
    help = ("Walking times and circles, coverage and hot spots per district, one Dask task per district and "
            "step: a LocalCluster here, or the scheduler at --scheduler / GRIDMAP_DASK_SCHEDULER. "
            "A failed district is retried, then reported; the others carry on.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("steps", nargs="+", choices=STEPS, help="what to compute, in this order")
        parser.add_argument("--district", dest="codes", nargs="+", help="6-digit district codes (default: all)")
        parser.add_argument("--workers", type=int, help="LocalCluster worker processes (default: districts, ≤ CPUs)")
        parser.add_argument("--scheduler", help="Dask scheduler address (default: settings.GRIDMAP_DASK_SCHEDULER; "
                                                "'' for a LocalCluster)")
        parser.add_argument("--retries", type=int, default=1, help="times a failed task is submitted again")

    def handle(self, *args, steps: list[str], codes: list[str] | None = None, workers: int | None = None,
               scheduler: str | None = None, retries: int = 1, **options) -> None:
        from layers.grids.models import District

        if workers is not None and workers < 1:
            msg = "--workers 应为正整数"
            raise CommandError(msg)
        if retries < 0:
            msg = "--retries 不能为负数"
            raise CommandError(msg)
        try:
            steps = check_steps(steps)
            codes = district_codes(codes)
        except ValueError as e:
            raise CommandError(str(e)) from e
        if not codes:
            raise CommandError("没有区：请先导入区划边界")
        names = dict(District.objects.values_list("code", "name"))
        started = time.perf_counter()
        with tqdm(total=len(codes) * len(steps), desc="按区计算", unit="项", file=self.stderr) as bar:
            def report(o: DistrictOutcome) -> None:
                bar.update(1)
                what = f"{names.get(o.code, o.code)} ({o.code}) {STEP_NAMES_ZH[o.step]}"
                if o.ok:
                    bar.write(f"✓ {what}: {o.summary.get('text', '')} [{o.seconds:.1f} s, 第 {o.attempts} 次]",
                              file=self.stdout)
                else:
                    bar.write(f"✗ {what} 失败 (尝试 {o.attempts} 次): {o.error}", file=self.stdout)

            outcomes = run_per_district(steps, codes, workers=workers, scheduler=scheduler, retries=retries,
                                        on_progress=report)
        failed = [o for o in outcomes if not o.ok]
        self.stdout.write(f"完成 {len(outcomes) - len(failed)} / {len(outcomes)} 项，{len(codes)} 个区，"
                          f"用时 {time.perf_counter() - started:.1f} s")
        if failed:
            msg = "失败：" + "、".join(f"{names.get(o.code, o.code)}（{STEP_NAMES_ZH[o.step]}）" for o in failed)
            raise CommandError(msg)
