"""API lists come in pages: 100 Features by default, the next page named, more on request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from layers.incidents import lifecycle
from tests.factories import category, point, two_grids

pytestmark = pytest.mark.django_db


def test_incidents_come_in_pages_of_100_newest_first(client):
    two_grids()
    admin = User.objects.create_superuser("pages-admin", password="x")
    made = [lifecycle.report(by=admin, category=category(), description=f"第{k}件",
                             geom=point(104.0612 + k * 1e-5, 30.6551)) for k in range(130)]
    client.force_login(admin)
    first = client.get("/api/incidents/").json()
    assert first["count"] == 130 and len(first["features"]) == 100
    assert first["features"][0]["id"] == made[-1].pk  # the newest first
    second = client.get(first["next"]).json()
    assert len(second["features"]) == 30 and second["next"] is None
    ids = {f["id"] for f in first["features"]} | {f["id"] for f in second["features"]}
    assert ids == {i.pk for i in made}  # every case once, none lost between pages
    assert len(client.get("/api/incidents/?page_size=500").json()["features"]) == 130
