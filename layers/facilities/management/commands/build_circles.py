"""python manage.py build_circles [--type CODE] [--minutes 5 10 15]: rebuild service circles."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from layers.facilities.models import FacilityType
from layers.facilities.walking.graph import network_key
from layers.facilities.walking.placement import facilities_on_fragments
from layers.facilities.walking.refresh import rebuild


class RawStream:
    """A management command's stderr as a plain stream for tqdm (no newline after each write)."""

    def __init__(self, wrapper) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")

    def flush(self) -> None:
        self.wrapper.flush()


class Command(BaseCommand):
    help = (
        "Recompute the walking service circles of every facility (or of one type) and the walking "
        "times of households to that type, then whatever else is queued. Without a loaded network the "
        "circles are straight-line buffers, marked as such."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--type", dest="type_code", help="facility type code (default: all types)")
        parser.add_argument("--minutes", type=int, nargs="+", help="circle minutes (default: settings)")

    def handle(self, *args, type_code: str | None = None, minutes: list[int] | None = None, **options) -> None:
        if type_code and not FacilityType.objects.filter(code=type_code).exists():
            codes = ", ".join(FacilityType.objects.values_list("code", flat=True))
            msg = f"unknown facility type {type_code!r} (known: {codes})"
            raise CommandError(msg)
        if minutes and min(minutes) <= 0:
            msg = "--minutes must be positive"
            raise CommandError(msg)
        if network_key()[2] == 0:
            self.stderr.write("未加载路网: 服务圈为直线距离缓冲 (no walk network loaded: straight-line buffers)")
        result = rebuild(type_code=type_code, minutes=minutes, progress=RawStream(self.stderr))
        self.stdout.write(f"已重算 (rebuilt): {result.summary()}")
        for f in facilities_on_fragments(type_code):
            self.stderr.write(self.style.WARNING(
                f"⚠ 路网不连通: {f.type_name}「{f.name}」(id {f.facility_id}) 位于与主路网断开的路网片段上, "
                f"该片段全长 {f.fragment_length_m:,.0f} m (全网 {f.network_length_m / 1000:,.1f} km), "
                f"其步行服务圈只到片段尽头 (facility on a network fragment); 请检查该处路网数据"))
