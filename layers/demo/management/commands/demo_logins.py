"""``python manage.py demo_logins``: print the demo users and their passwords."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Print the demo logins that `manage.py load_demo` saved (var/demo_logins.txt)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--logins", default=str(settings.VAR_DIR / "demo_logins.txt"),
                            help="the logins file (default var/demo_logins.txt)")

    def handle(self, *args, **options) -> None:
        path = Path(options["logins"])
        if not path.exists():
            raise CommandError(f"{path} does not exist: run `python manage.py load_demo` first")
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
                if line and not line.startswith("#")]
        widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(4)]
        for row in rows:
            cells = [(row[i] if i < len(row) else "").ljust(widths[i]) for i in range(4)]
            grids = row[4] if len(row) > 4 else ""
            self.stdout.write("  ".join(cells) + ("  " + grids if grids else ""))
