"""python manage.py render_maps --out DIR [--grid CODE | --community CODE] [--type CODE]

Writes the three role maps as standalone HTML files that open offline (briefings,
printing): the grid worker's map of the chosen grids, the planner's map of a facility
type, and the patrol's hot-spot map with tonight's route. Leaflet and its plugins are
copied next to the files (DIR/static/) and the street background is embedded, so the
files need no server and no internet. Personal data stays masked.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from layers.facilities.models import FacilityType
from layers.grids.models import Community, Grid
from layers.incidents import lifecycle
from layers.incidents.models import Incident
from layers.maps.base import LOCAL_ASSETS, render
from layers.people.models import Household


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", required=True, help="folder for the HTML files")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--grid", help="15-digit grid code")
        scope.add_argument("--community", help="12-digit community code")
        parser.add_argument("--type", default="kindergarten", help="facility type of the planner map")
        parser.add_argument("--days", type=int, default=30, help="time window of the patrol map (days)")

    def handle(self, *args, **options) -> None:
        out = Path(options["out"])
        grids = self._grids(options)
        if not FacilityType.objects.filter(code=options["type"]).exists():
            raise CommandError(f"未知的设施类型 {options['type']!r}; 可选: "
                               + ", ".join(FacilityType.objects.values_list("code", flat=True)))
        out.mkdir(parents=True, exist_ok=True)
        self._copy_assets(out)
        written = [
            self._write(out / "grid_worker.html", self._worker(grids)),
            self._write(out / "planner.html", self._planner(options["type"])),
            self._write(out / "patrol.html", self._patrol(options["days"])),
        ]
        for path in written:
            self.stdout.write(f"已写入 {path} ({path.stat().st_size:,} bytes)")

    def _grids(self, options):
        if options["grid"]:
            grids = Grid.objects.filter(code=options["grid"])
        elif options["community"]:
            grids = Grid.objects.filter(community__in=Community.objects.filter(code=options["community"]))
        else:
            grids = Grid.objects.all()
        if not grids.exists():
            raise CommandError(f"没有找到网格 (no grid matches {options['grid'] or options['community']})")
        return grids

    @staticmethod
    def _copy_assets(out: Path) -> None:
        for relative in {p for p in LOCAL_ASSETS.values() if p}:
            folder = Path(relative).parent
            source = settings.BASE_DIR / "static" / folder
            shutil.copytree(source, out / "static" / folder, dirs_exist_ok=True)

    @staticmethod
    def _write(path: Path, m) -> Path:
        # offline: no server to send a CSP header, so the file carries a <meta> CSP and nonces.
        path.write_text(render(m, prefix="static/", offline=True), encoding="utf-8")
        return path

    @staticmethod
    def _worker(grids):
        from layers.maps.worker import worker_map

        households = Household.objects.filter(grid__in=grids)
        incidents = Incident.objects.filter(grid__in=grids, status__in=lifecycle.OPEN_STATUSES).select_related(
            "category")
        return worker_map(grids, households, incidents, embed_streets=True)

    @staticmethod
    def _planner(type_code: str):
        from layers.maps.planner import planner_map

        return planner_map(type_code, with_streets=False, embed_streets=True)

    @staticmethod
    def _patrol(days: int):
        from layers.maps.patrol import patrol_map
        from layers.patrols import hotspots
        from layers.patrols.counts import incident_points
        from layers.patrols.filters import IncidentFilter
        from layers.patrols.route import PatrolPlanError, plan_patrol, street_lines

        flt = IncidentFilter.last_days(days)
        result = hotspots.hotspots(flt, kind="grid")
        try:
            plan = plan_patrol(result)
        except PatrolPlanError:
            plan = None
        streets = street_lines(tuple(result.cells.to_crs(4326).total_bounds))
        return patrol_map(hotspots=result, density=hotspots.density_surface(flt), plan=plan, streets=streets,
                          incidents=incident_points(flt, limit=1000), title=f"巡防热点（近{days}天）")
