"""Hostile text, and a district whose names, addresses and descriptions all carry it."""

from __future__ import annotations

from types import SimpleNamespace

# Each one sets window.__xss if it ever runs as script.
PAYLOADS: dict[str, str] = {
    "img_onerror": '<img src=x onerror="window.__xss=1">',
    "template_literal": "${window.__xss=2}",
    "script_breakout": "</script><script>window.__xss=3</script>",
    "attribute_breakout_svg": '"><svg onload=window.__xss=4>',
    # Quotes of every kind, backslashes and a JSON-escape look-alike (must stay as typed).
    "quote_backslash_mix": r"""\'";`\\"); window.__xss=5; //\u003c""",
}

# Suffixes telling which stored field a text on screen came from.
COMMUNITY, WEST, EAST, ADDRESS, FACILITY, FTYPE, CATEGORY, DESCRIPTION = (
    "社区", "西网格", "东网格", "号", "园", "幼儿园类型", "类", "事件")


def store_hostile(world, payload: str) -> SimpleNamespace:
    """Put ``payload`` in every user-supplied name of ``world``: community and grid names
    as ``import_boundaries`` stores them, a facility and its type's name as the admin, a
    household address as an import, the incident category name, and an incident reported
    by the grid worker through the report form. Returns the texts as stored."""
    from layers.facilities.models import Facility, FacilityType
    from layers.facilities.walking.refresh import refresh_pending
    from layers.grids.models import Community, Grid
    from layers.incidents.models import Incident, IncidentCategory
    from layers.people.models import Household
    from tests.factories import point
    from tests.fixtures_world import client_for

    t = SimpleNamespace(**{k.lower(): payload + v for k, v in {
        "COMMUNITY": COMMUNITY, "WEST": WEST, "EAST": EAST, "ADDRESS": ADDRESS, "FACILITY": FACILITY,
        "FTYPE": FTYPE, "CATEGORY": CATEGORY, "DESCRIPTION": DESCRIPTION}.items()})
    Community.objects.filter(pk=world.community.pk).update(name=t.community)
    Grid.objects.filter(pk=world.west.pk).update(name=t.west)
    Grid.objects.filter(pk=world.east.pk).update(name=t.east)
    Household.objects.filter(pk=world.hw.pk).update(address=t.address)
    IncidentCategory.objects.filter(code="dispute").update(name=t.category)
    ftype = FacilityType.objects.get(code="kindergarten")
    FacilityType.objects.filter(pk=ftype.pk).update(name=t.ftype)
    Facility.objects.create(type=ftype, name=t.facility, geom=point(104.064, 30.654), source="manual")
    refresh_pending()
    before = set(Incident.objects.values_list("pk", flat=True))
    response = client_for(world.worker_w).post("/incidents/new/", {
        "category": IncidentCategory.objects.get(code="dispute").pk, "description": t.description,
        "address": "", "lon": "104.065", "lat": "30.657"})
    assert response.status_code == 302, response.content.decode()[:500]
    reported = Incident.objects.exclude(pk__in=before).get()
    assert reported.description == t.description  # stored as typed: escaping is the maps' job
    return t
