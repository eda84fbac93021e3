"""``python manage.py build_demo``: regenerate the demo fixture from the OSM extract."""

from __future__ import annotations

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from importers.readers.osm import OsmReadError
from layers.demo import DEFAULT_SEED
from layers.demo.districts import DistrictError

OSM_NAME = "chengdu_center_2018.osm.bz2"
# The copy shipped in the repository, else the shared data folder next to the checkout.
OSM_CANDIDATES = (settings.BASE_DIR / "fixtures" / "osm" / OSM_NAME,
                  settings.BASE_DIR.parent / "shared" / "data" / "osm" / OSM_NAME)
DEFAULT_OSM = next((p for p in OSM_CANDIDATES if p.exists()), OSM_CANDIDATES[0])


class Command(BaseCommand):
    help = (
        "Build the demo district fixture (fixtures/demo) from a real OpenStreetMap extract: areas cut along "
        "the street network, OSM facilities, and synthetic facilities, households and incidents. The same "
        "seed gives byte-identical files."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
        parser.add_argument("--out", default=str(settings.BASE_DIR / "fixtures" / "demo"),
                            help="output folder (default fixtures/demo)")
        parser.add_argument("--osm", default=str(DEFAULT_OSM), help=f"OSM extract (default {DEFAULT_OSM})")
        parser.add_argument("--target", type=int, default=settings.GRIDMAP_TARGET_HOUSEHOLDS_PER_GRID,
                            help="households per grid to aim at (default GRIDMAP_TARGET_HOUSEHOLDS_PER_GRID)")

    def handle(self, *args, **options) -> None:
        from layers.demo.build import build
        from layers.demo.fixture import write_fixture

        started = time.perf_counter()
        osm = Path(options["osm"])
        try:
            data = build(str(osm), seed=options["seed"], target_households=options["target"],
                         log=lambda message: self.stdout.write(f"  {message}"))
        except (OsmReadError, DistrictError) as e:
            raise CommandError(str(e)) from e
        sizes = write_fixture(data, Path(options["out"]), osm_file=osm.name)
        for name, size in sizes.items():
            self.stdout.write(f"  {name:22s} {size / 1024:8.1f} KiB")
        self.stdout.write(self.style.SUCCESS(
            f"demo fixture written to {options['out']} (seed {options['seed']}) in {time.perf_counter() - started:.1f} s"))
