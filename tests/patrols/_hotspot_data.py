"""Hand-built test data for the hot spot and patrol tests: a lattice of square grids, incidents
placed in chosen cells at chosen local times, and a street lattice along the grid borders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.contrib.gis.geos import LineString
from django.db import connection

from layers.facilities.models import WalkEdge, WalkNode
from layers.grids.models import Community, Grid
from layers.incidents.models import Incident
from tests.factories import box, category, make_community, make_grid, point

SHANGHAI = ZoneInfo("Asia/Shanghai")
LON0, LAT0 = 104.050, 30.640  # south-west corner of the lattice
STEP = 0.001  # degrees: a cell is about 96 m (east-west) × 111 m (north-south)
NODE_ID0 = 1000


@dataclass
class Lattice:
    """side × side grids; ``grids[(col, row)]`` with row 0 in the south, col 0 in the west."""

    community: Community
    side: int
    grids: dict[tuple[int, int], Grid]

    def code(self, col: int, row: int) -> str:
        return self.grids[(col, row)].code

    @staticmethod
    def centre(col: int, row: int, *, dx: float = 0.5, dy: float = 0.5) -> tuple[float, float]:
        """(lon, lat) inside cell (col, row); dx, dy are fractions of the cell from its SW corner."""
        return LON0 + (col + dx) * STEP, LAT0 + (row + dy) * STEP


def lattice(side: int = 8, code: str = "510104001001") -> Lattice:
    community = make_community(code, geom=box(LON0, LAT0, LON0 + side * STEP, LAT0 + side * STEP))
    grids = {}
    for row in range(side):
        for col in range(side):
            x, y = LON0 + col * STEP, LAT0 + row * STEP
            grids[(col, row)] = make_grid(community, box(x, y, x + STEP, y + STEP), name=f"格{col}-{row}")
    return Lattice(community, side, grids)


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)


def add_incidents(
    cells: list[tuple[int, int]] | tuple[int, int],
    when: dt.datetime,
    *,
    n: int = 1,
    code: str = "security_risk",
    status: str = "reported",
) -> None:
    """``n`` incidents in each cell (spread a little inside it), all reported at ``when``."""
    cells = [cells] if isinstance(cells, tuple) else cells
    cat = category(code)
    rows = []
    for col, row in cells:
        for k in range(n):
            lon, lat = Lattice.centre(col, row, dx=0.2 + 0.6 * ((k * 7) % 10) / 10, dy=0.2 + 0.6 * ((k * 3) % 10) / 10)
            rows.append(Incident(category=cat, description="测试事件", geom=point(lon, lat), reported_at=when,
                                 status=status))  # fmt: skip
    Incident.objects.bulk_create(rows)


def node_id(col: int, row: int, side: int) -> int:
    return NODE_ID0 + row * (side + 1) + col


def street_lattice(side: int = 8) -> None:
    """Streets along every grid border: nodes at the lattice corners, one edge per cell side,
    walkable both ways; cost = reverse_cost = length on the ellipsoid in metres."""
    nodes = [
        WalkNode(id=node_id(c, r, side), geom=point(LON0 + c * STEP, LAT0 + r * STEP))
        for r in range(side + 1) for c in range(side + 1)
    ]  # fmt: skip
    WalkNode.objects.bulk_create(nodes)
    edges = []
    for r in range(side + 1):
        for c in range(side + 1):
            for dc, dr in ((1, 0), (0, 1)):
                if c + dc <= side and r + dr <= side:
                    a, b = (c, r), (c + dc, r + dr)
                    line = LineString((LON0 + a[0] * STEP, LAT0 + a[1] * STEP),
                                      (LON0 + b[0] * STEP, LAT0 + b[1] * STEP), srid=4326)  # fmt: skip
                    edges.append(WalkEdge(source=node_id(*a, side), target=node_id(*b, side), cost=0,
                                          reverse_cost=0, length_m=0, geom=line))  # fmt: skip
    WalkEdge.objects.bulk_create(edges)
    with connection.cursor() as cur:
        cur.execute("UPDATE facilities_walkedge SET length_m = ST_Length(geom::geography), "
                    "cost = ST_Length(geom::geography), reverse_cost = ST_Length(geom::geography)")  # fmt: skip


def isolated_street(lon: float, lat: float, *, first_id: int = 900_000) -> None:
    """A short two-node street not connected to anything, centred on (lon, lat)."""
    a, b = (lon - 0.0001, lat), (lon + 0.0001, lat)
    WalkNode.objects.bulk_create([WalkNode(id=first_id, geom=point(*a)), WalkNode(id=first_id + 1, geom=point(*b))])
    WalkEdge.objects.create(source=first_id, target=first_id + 1, cost=19.1, reverse_cost=19.1, length_m=19.1,
                            geom=LineString(a, b, srid=4326))  # fmt: skip
