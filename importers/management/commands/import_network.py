"""python manage.py import_network FILE [--dry-run] [--no-refresh]: OSM → walk network."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importers.network import NetworkImporter, NetworkImportError


class Command(BaseCommand):
    help = (
        "Replace the walkable street network (facilities_walknode / facilities_walkedge) with the one read "
        "from an OpenStreetMap file (.osm, .osm.bz2, .osm.gz, .osm.pbf), in one transaction, and "
        "recompute the service circles and walking times it affects."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="OpenStreetMap file")
        parser.add_argument("--dry-run", action="store_true", help="read and count; write nothing")
        parser.add_argument("--no-refresh", action="store_true",
                            help="leave the affected circles queued (build_circles recomputes them)")

    def handle(self, *args, file: str, dry_run: bool = False, no_refresh: bool = False, **options) -> None:
        importer = NetworkImporter(progress=lambda message: self.stderr.write(message))
        try:
            counts = importer.run(file, dry_run=dry_run)
        except NetworkImportError as e:
            raise CommandError(str(e)) from e
        prefix = "[dry run] " if dry_run else ""
        self.stdout.write(
            f"{prefix}{counts.path}: {counts.ways_read} 条道路 (highway ways) 读入, {counts.ways_kept} 条可步行; "
            f"{counts.nodes} 个节点 (nodes), {counts.edges} 条路段 (edges), 总长 {counts.length_km:.1f} km, "
            f"单向步行路段 {counts.one_way_edges}"
        )
        self.stdout.write(
            f"{prefix}连通分量 (components): {counts.components}, 最大分量占节点 {counts.largest_component_share:.1%}"
        )
        if counts.components > 1:
            outside = counts.outside_largest_km / counts.length_km if counts.length_km else 0.0
            self.stdout.write(
                f"{prefix}路网不连通: {counts.components - 1} 个与主路网断开的片段, 共 {counts.outside_largest_km:.2f} km"
                f" (占总长 {outside:.1%}; length outside the largest part). 住户和设施在 "
                f"{settings.GRIDMAP_SNAP_PREFER_CONNECTED_M:g} m 内有主路网时接入主路网, 否则计为“路网不连通”"
            )
        for reason, n in counts.excluded.items():
            self.stdout.write(f"{prefix}  排除 (excluded) {reason}: {n}")
        if dry_run or no_refresh:
            return
        from layers.facilities.management.commands.build_circles import RawStream
        from layers.facilities.walking.refresh import refresh_pending

        result = refresh_pending(progress=RawStream(self.stderr))
        self.stdout.write(f"已重算 (recomputed): {result.summary()}")
