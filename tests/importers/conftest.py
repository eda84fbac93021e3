"""Shared helpers of the importer tests: run a command as a user would, and the test street of
central Chengdu (tests/importers/data, built from the OSM extract) loaded through the importers."""

from __future__ import annotations

from dataclasses import dataclass
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

DATA = Path(__file__).resolve().parent / "data"


@dataclass
class Run:
    """What the user saw: stdout, stderr, and the CommandError message ('' when it succeeded)."""

    out: str
    err: str
    error: str

    @property
    def ok(self) -> bool:
        return not self.error

    @property
    def text(self) -> str:
        return "\n".join((self.out, self.err, self.error))


def run(command: str, *args: str | Path) -> Run:
    out, err = StringIO(), StringIO()
    try:
        extra = ["--no-progress"] if command.startswith("import") else []
        call_command(command, *map(str, args), *extra, stdout=out, stderr=err)
    except CommandError as e:
        return Run(out.getvalue(), err.getvalue(), str(e))
    return Run(out.getvalue(), err.getvalue(), "")


@pytest.fixture
def chengdu(db):
    """District 510104 (test boundary), street 510104001, its 6 communities and 39 grids."""
    for name, level in (("district.geojson", "district"), ("street.geojson", "street"),
                        ("communities.gpkg", "community"), ("grids_gk35.zip", "grid")):
        result = run("import_boundaries", DATA / name, "--level", level)
        assert result.ok, result.text
