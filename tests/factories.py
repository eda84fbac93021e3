"""Small builders for test rows: a district → street → community → grids hierarchy in Chengdu."""

from __future__ import annotations

from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from layers.grids.models import Community, District, Grid, Street
from layers.incidents.models import Department, IncidentCategory
from layers.people.models import Household

# A 2 km × 1.1 km community near 春熙路, split in two grids at 104.070 E.
WEST, EAST, SOUTH, NORTH, MIDDLE = 104.060, 104.080, 30.650, 30.660, 104.070


def box(xmin: float, ymin: float, xmax: float, ymax: float) -> MultiPolygon:
    """A WGS84 rectangle as a MultiPolygon (degrees)."""
    return MultiPolygon(Polygon.from_bbox((xmin, ymin, xmax, ymax)), srid=4326)


def point(x: float, y: float) -> Point:
    return Point(x, y, srid=4326)


def make_community(code: str = "510104001001", geom: MultiPolygon | None = None, name: str = "测试社区") -> Community:
    district, _ = District.objects.get_or_create(
        code=code[:6], defaults={"name": "锦江区", "geom": box(104.0, 30.6, 104.2, 30.7)}
    )
    street, _ = Street.objects.get_or_create(
        code=code[:9], defaults={"district": district, "name": "测试街道", "geom": box(104.0, 30.6, 104.2, 30.7)}
    )
    return Community.objects.create(street=street, code=code, name=name, geom=geom or box(WEST, SOUTH, EAST, NORTH))


def make_grid(community: Community, geom: MultiPolygon, code: str = "", name: str = "") -> Grid:
    grid = Grid(community=community, geom=geom, code=code, name=name or f"网格{Grid.objects.count() + 1}")
    grid.save()
    return grid


def two_grids() -> tuple[Community, Grid, Grid]:
    """A community split into a west and an east grid sharing the meridian 104.070."""
    community = make_community()
    west = make_grid(community, box(WEST, SOUTH, MIDDLE, NORTH), name="西网格")
    east = make_grid(community, box(MIDDLE, SOUTH, EAST, NORTH), name="东网格")
    return community, west, east


def make_household(geom: Point, **fields) -> Household:
    defaults = {"address": "测试路1号", "head_name": "张三", "residents": 2}
    return Household.objects.create(geom=geom, **{**defaults, **fields})


def category(code: str = "dispute") -> IncidentCategory:
    return IncidentCategory.objects.get(code=code)


def department(name: str = "城管执法中队", kind: str = "城管", district_code: str = "510104", users=()) -> Department:
    """A 处置部门 of the test district (make_community creates it), with ``users``."""
    dept, _ = Department.objects.get_or_create(district=District.objects.get(code=district_code), name=name,
                                               defaults={"kind": kind})
    dept.users.add(*users)
    return dept


def department_of(incident) -> Department:
    """A 处置部门 of the incident's district (made once): what 派遣 asks for."""
    district = incident.grid.community.street.district
    dept, _ = Department.objects.get_or_create(district=district, name="测试处置部门", defaults={"kind": "城管"})
    return dept


def step_kwargs(incident, step: str) -> dict:
    """The extra arguments lifecycle.move needs for ``step``: a department at 派遣."""
    return {"department": department_of(incident)} if step == "dispatched" else {}
