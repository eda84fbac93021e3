"""The incident Feature the API writes by hand (IncidentSerializer.to_representation, for speed)
is the one drf-gis's generic serializer writes, field for field, on every kind of case."""

from __future__ import annotations

import json
import uuid

import pytest
from django.contrib.auth.models import User
from rest_framework.renderers import JSONRenderer
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from layers.api.serializers import IncidentSerializer
from layers.incidents import lifecycle, limits
from layers.incidents.models import Incident
from tests.factories import category, point, step_kwargs, two_grids

pytestmark = pytest.mark.django_db

WALK = ["accepted", "dispatched", "handling", "feedback", "closed", "evaluated"]


def _cases() -> list[Incident]:
    two_grids()
    admin = User.objects.create_superuser("feature-admin", password="x")
    other = User.objects.create_superuser("feature-checker", password="x")  # 核查 is not the reporter's
    hostile = '<script>alert("x")</script> =1+1 \u202e'
    made = [lifecycle.report(by=admin, category=category(), description=hostile, address="测试路&1号",
                             geom=point(104.0612345678901, 30.6551234567891), client_id=uuid.uuid4())]
    made.append(lifecycle.report(by=admin, category=category("city_appearance"), description="无网格",
                                 geom=point(104.3, 30.9)))  # in no grid: grid and grid_code are null
    for steps in range(1, len(WALK) + 1):
        incident = lifecycle.report(by=admin, category=category(), description=f"走到第{steps}步",
                                    geom=point(104.0652 + steps * 1e-4, 30.6553))
        for step in WALK[:steps]:
            lifecycle.move(incident, step, by=other, satisfaction="满意" if step == "evaluated" else "",
                           **step_kwargs(incident, step))
        made.append(incident)
    dup = made[2]
    Incident.objects.filter(pk=made[3].pk).update(duplicate_of=dup)
    return made


def test_the_hand_written_feature_equals_drf_gis(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    _cases()
    incidents = list(limits.with_stage_deadline(Incident.objects.select_related("category", "grid", "department"))
                     .order_by("id"))
    assert len(incidents) == 8
    assert {i.status for i in incidents} >= {"reported", "accepted", "dispatched", "closed", "evaluated"}
    assert any(i.grid_id is None for i in incidents) and any(i.department_id for i in incidents)
    assert any(i.duplicate_of_id for i in incidents) and any(i.client_id for i in incidents)
    ours = IncidentSerializer(incidents, many=True).data["features"]
    generic = [GeoFeatureModelSerializer.to_representation(IncidentSerializer(), i) for i in incidents]
    # Compared as the JSON a client receives: same keys, same order, same values; coordinates
    # are the stored doubles (GDAL prints 15 decimals: they may differ in the last digit).
    ours_json, generic_json = (json.loads(JSONRenderer().render(list(f))) for f in (ours, generic))
    for mine, theirs in zip(ours_json, generic_json, strict=True):
        assert list(mine) == list(theirs) and list(mine["properties"]) == list(theirs["properties"])
        assert mine["properties"] == theirs["properties"]
        assert mine["geometry"]["type"] == theirs["geometry"]["type"] == "Point"
        assert mine["geometry"]["coordinates"] == pytest.approx(theirs["geometry"]["coordinates"], abs=1e-13)
    stored = {i.pk: list(i.geom.coords) for i in incidents}
    assert all(f["geometry"]["coordinates"] == stored[f["id"]] for f in ours_json)  # exactly what is stored
    first = ours_json[0]
    assert first["properties"]["description"].startswith("<script>")  # JSON carries text as it is
    assert first["properties"]["reported_at"].endswith("+08:00")  # in the installation's time zone


def test_the_list_read_as_rows_is_the_features_of_the_models(settings, client):
    """GET /api/incidents/ builds its Features from plain rows (serializers.CaseRow), not models:
    the same JSON, byte for byte, as the serializer writes from the Incidents themselves."""
    settings.TIME_ZONE = "Asia/Shanghai"
    _cases()
    client.force_login(User.objects.get(username="feature-admin"))
    response = client.get("/api/incidents/?page_size=5")
    listed = response.json()
    incidents = list(limits.with_stage_deadline(Incident.objects.select_related("category", "grid", "department"))
                     .order_by("-reported_at", "-id"))
    assert listed["count"] == 8 and listed["next"] and len(listed["features"]) == 5
    both_pages = listed["features"] + client.get(listed["next"]).json()["features"]  # every kind of case
    features = IncidentSerializer(incidents, many=True).data["features"]
    assert both_pages == json.loads(JSONRenderer().render(list(features)))
    stored = {i.pk: list(i.geom.coords) for i in incidents}
    assert all(f["geometry"]["coordinates"] == stored[f["id"]] for f in both_pages)  # exactly what is stored
