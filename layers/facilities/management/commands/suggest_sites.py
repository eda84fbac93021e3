"""python manage.py suggest_sites --type CODE --count K [--candidates FILE]: where to build."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from layers.facilities.walking.sites import SitingError, suggest


class Command(BaseCommand):
    help = (
        "Choose K new sites for a facility type that newly cover the most households within the type's "
        "walking threshold (maximal covering location problem, solved exactly; existing facilities kept). "
        "Candidates are network nodes, or the parcels of --candidates FILE. Shown on the planner map."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--type", dest="type_code", required=True)
        parser.add_argument("--count", type=int, required=True)
        parser.add_argument("--candidates", type=Path, help="vector file of available parcels (points or polygons)")
        parser.add_argument("--focus-weight", type=float,
                            help="weight of a priority-group household (default settings.GRIDMAP_SITING_FOCUS_WEIGHT)")

    def handle(self, *args, type_code: str, count: int, candidates: Path | None = None,
               focus_weight: float | None = None, **options) -> None:
        if count <= 0:
            msg = "--count must be positive"
            raise CommandError(msg)
        if candidates is not None and not candidates.exists():
            msg = f"{candidates}: file not found"
            raise CommandError(msg)
        try:
            result = suggest(type_code, count, candidates_file=candidates, focus_weight=focus_weight)
        except SitingError as e:
            raise CommandError(str(e)) from e
        share = lambda n: f"{n / result.households:.1%}" if result.households else "—"  # noqa: E731
        self.stdout.write(f"{type_code}: 步行 {result.threshold_minutes} 分钟内覆盖 (covered within threshold); "
                          f"候选 {result.candidate_count} 个 ({result.candidates})")
        self.stdout.write(f"{'序号':<5}{'位置 (lon, lat)':<26}{'新覆盖户':>8}{'新覆盖人口':>10}{'重点人群户':>10}  位置描述")
        for s in result.sites:  # each site's gains add to those ranked before it (no double counting)
            self.stdout.write(f"{s.rank:<5}{f'{s.lon:.6f}, {s.lat:.6f}':<26}{s.newly_covered_households:>8}"
                              f"{s.newly_covered_residents:>10}{s.newly_covered_focus:>10}  {s.place}"
                              + (f"（候选地块 {s.label}）" if s.label else ""))
        if len(result.sites) < count:
            self.stdout.write(f"只有 {len(result.sites)} 个选址能新覆盖住户 (only these sites add coverage)")
        self.stdout.write(
            f"覆盖户数 (households covered): 建设前 {result.covered_before}/{result.households} "
            f"({share(result.covered_before)}) → 建设后 {result.covered_after}/{result.households} "
            f"({share(result.covered_after)})")
