"""``python manage.py load_demo``: load the demo district into the database."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction

from layers.demo import DISTRICT_CODE
from layers.grids.models import District

DEMO_OSM = settings.BASE_DIR / "fixtures" / "osm" / "chengdu_center_2018.osm.bz2"


class Command(BaseCommand):
    help = (
        "Load the demo district (fixtures/demo) into an empty database: district 510104, its streets, "
        "communities and grids, facilities, about 20,000 synthetic households and 5,000 synthetic incidents "
        "(linked to their grids by the database triggers), and demo users (admin, planner, patrol, wangge01…) "
        "with random passwords saved to var/demo_logins.txt (see `manage.py demo_logins`). If the district "
        "already exists it does nothing unless --force, which first deletes the demo rows. "
        "Timestamps: the fixture is anchored on a fixed day; all incident and transition timestamps and "
        "households' last visits are moved forward by whole days so that the newest incident lies on the day "
        "of loading (one day less if that would put it in the future), so 'last 7 days' always shows data."
    )

    # Skipping the system checks keeps "already loaded" under a second; migrate ran them.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--force", action="store_true", help="delete the demo rows first and load again")
        parser.add_argument("--skip-network", action="store_true",
                            help="do not import the Chengdu walk network nor build the service circles")
        parser.add_argument("--fixtures", default=str(settings.BASE_DIR / "fixtures" / "demo"),
                            help="fixture folder (default fixtures/demo)")
        parser.add_argument("--logins", default=str(settings.VAR_DIR / "demo_logins.txt"),
                            help="where the demo logins are kept (default var/demo_logins.txt)")

    def handle(self, *args, **options) -> None:
        fixture_dir = Path(options["fixtures"])
        logins = Path(options["logins"])
        if District.objects.filter(code=DISTRICT_CODE).exists() and not options["force"]:
            self.stdout.write(f"the demo district {DISTRICT_CODE} is already loaded; nothing to do "
                              "(use --force to delete and load it again)")
            return
        # Imported here: pandas and friends are not needed to say "already loaded".
        from layers.demo import accounts, loader
        from layers.demo.fixture import FixtureError

        try:
            # One transaction: a failed reload leaves the previous demo in place.
            with transaction.atomic():
                if loader.demo_exists():
                    deleted = loader.delete_demo(fixture_dir)
                    self.stdout.write("deleted: " + ", ".join(f"{k} {v}" for k, v in deleted.items()))
                report = loader.load(fixture_dir, setup_users=lambda users: accounts.setup_users(users, logins))
        except (FixtureError, loader.DemoLoadError, DatabaseError) as e:
            raise CommandError(f"loading the demo failed, nothing was changed: {e}") from e
        self.stdout.write("loaded: " + ", ".join(f"{k} {v}" for k, v in report.counts.items()))
        if report.skipped_facilities:
            self.stdout.write(f"{report.skipped_facilities} OSM facilities were already in the database (kept)")
        self.stdout.write(f"timestamps moved forward by {report.shift_days} days")
        unassigned = sum(report.unassigned.values())
        message = (f"demo loaded in {report.seconds:.1f} s; logins in {logins} "
                   f"(`python manage.py demo_logins`); unassigned: {report.unassigned}")
        self.stdout.write(self.style.SUCCESS(message) if not unassigned else self.style.WARNING(message))
        if not options["skip_network"]:
            self._network_and_circles()

    def _network_and_circles(self) -> None:
        """The walk network of the same OSM extract, then every facility's service circles and
        every household's walking times (the planner's page reads them)."""
        from django.core.management import call_command

        from layers.facilities.models import WalkEdge

        if not WalkEdge.objects.exists():
            call_command("import_network", str(DEMO_OSM), "--no-refresh", stdout=self.stdout)
        call_command("build_circles", stdout=self.stdout)
