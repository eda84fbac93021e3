"""Benchmarks run in their own database (gridmap_bench by default) on the same server."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(db_name: str = "gridmap_bench") -> None:
    """Point Django at a bench database, create it on the embedded cluster, migrate."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("GRIDMAP_DB_NAME", db_name)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmap.settings")
    if not os.environ.get("DATABASE_URL"):
        from gridmap import pgcluster

        pgcluster.start()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
