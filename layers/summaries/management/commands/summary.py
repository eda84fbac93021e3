"""python manage.py summary --level street [--code CODE] [--period 2026-10] --format xlsx --output FILE

The leaders' figures of every unit of a level (or one) for a month, as Excel, CSV or JSON:
the same numbers as the 辖区汇总 page and /api/summary/ (layers.summaries)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from layers.summaries import export, services
from layers.summaries.figures import LEVELS
from layers.summaries.periods import PeriodError, parse_period


class Command(BaseCommand):
    help = "各级单位（区/街道/社区/网格）的月度汇总指标，导出为 xlsx / csv / json"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--level", required=True, choices=LEVELS, help="district / street / community / grid")
        parser.add_argument("--code", default=None, help="只导出该代码的单位")
        parser.add_argument("--period", default=None, help="统计月份，如 2026-10（默认本月）")
        parser.add_argument("--format", default="xlsx", choices=("xlsx", "csv", "json"))
        parser.add_argument("--output", required=True, help="输出文件路径")

    def handle(self, *args, level: str, code: str | None, period: str | None, format: str, output: str,
               **options) -> None:
        try:
            month = parse_period(period, name="--period")
            rows = services.table(None, level, month, code=code)
        except (PeriodError, services.SummaryError) as e:
            raise CommandError(str(e).replace("参数 level", "--level").replace("参数 code", "--code")) from e
        except services.NotInScope as e:
            raise CommandError(f"--code：没有代码为 {code} 的{level}单位") from e
        path = Path(output)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(export.write(rows, month, format))
        except OSError as e:
            raise CommandError(f"--output：无法写入 {output}（{e.strerror}）") from e
        self.stdout.write(f"{len(rows)} 个单位 · {month.label} → {path}")
