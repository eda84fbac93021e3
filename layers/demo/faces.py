"""Planar faces of a street network, and merging them into regions that tile an area.

All coordinates are in metres (a projected CRS). The faces of a fully noded line network
tile the area the lines enclose with no gaps and no overlaps; every operation here keeps
that property: regions are unions of whole faces, and a face is split only by a line that
crosses it from side to side.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely import MultiPolygon, Polygon
from shapely.strtree import STRtree


def polygonize_lines(lines: Sequence[shapely.Geometry]) -> list[Polygon]:
    """The faces enclosed by ``lines`` after noding them (dangles and bridges are dropped).

    Faces are returned in a stable order (by the rounded coordinates of a point on them) so
    that callers produce the same result on every run.
    """
    noded = shapely.union_all(np.asarray(lines, dtype=object))
    faces = list(shapely.get_parts(shapely.polygonize(list(shapely.get_parts(noded)))))
    faces = [f for f in faces if f.area > 0]
    faces.sort(key=lambda f: _sort_key(f))
    return faces


def _sort_key(geom: shapely.Geometry) -> tuple[float, float, float]:
    point = geom.representative_point()
    return (round(point.x, 1), round(point.y, 1), round(geom.area, 1))


def is_sliver(face: Polygon, *, min_width_m: float, min_area_m2: float) -> bool:
    """A face narrower than ``min_width_m`` (everywhere, or on average: 2·area/perimeter),
    e.g. the median between two carriageways, or smaller than ``min_area_m2``."""
    if face.area < min_area_m2 or 2 * face.area / face.length < min_width_m:
        return True
    return face.buffer(-min_width_m / 2).is_empty


@dataclass
class Regions:
    """Regions made of faces: ``members[r]`` are the faces of region ``r``. ``weight[f]`` is
    a face's value (households, say); ``group[f]`` a face's group (its community): regions
    never mix groups. ``shared_m[(f, g)]`` is the length of border faces f and g share."""

    faces: list[Polygon]
    weight: np.ndarray
    group: np.ndarray
    shared_m: dict[tuple[int, int], float] = field(default_factory=dict)
    members: dict[int, set[int]] = field(default_factory=dict)

    @classmethod
    def from_faces(cls, faces: Sequence[Polygon], weight: Sequence[float] | None = None,
                   group: Sequence[int] | None = None) -> Regions:
        n = len(faces)
        regions = cls(
            faces=list(faces),
            weight=np.zeros(n) if weight is None else np.asarray(weight, dtype=float),
            group=np.zeros(n, dtype=int) if group is None else np.asarray(group, dtype=int),
        )
        regions.members = {i: {i} for i in range(n)}
        regions.shared_m = shared_borders(faces)
        return regions

    def region_of(self) -> dict[int, int]:
        return {f: r for r, faces in self.members.items() for f in faces}

    def region_weight(self, r: int) -> float:
        return float(sum(self.weight[f] for f in self.members[r]))

    def region_area_m2(self, r: int) -> float:
        return float(sum(self.faces[f].area for f in self.members[r]))

    def neighbours(self, r: int) -> dict[int, float]:
        """Regions next to ``r`` in the same group, with the length (m) of the shared border."""
        owner = self.region_of()
        mine = self.members[r]
        result: dict[int, float] = {}
        for (a, b), length in self.shared_m.items():
            if a in mine and b not in mine:
                other = owner[b]
            elif b in mine and a not in mine:
                other = owner[a]
            else:
                continue
            if self.group[next(iter(self.members[other]))] == self.group[next(iter(mine))]:
                result[other] = result.get(other, 0.0) + length
        return result

    def merge(self, keep: int, absorb: int) -> None:
        self.members[keep] |= self.members.pop(absorb)

    def geometry(self, r: int) -> Polygon | MultiPolygon:
        return shapely.union_all([self.faces[f] for f in sorted(self.members[r])])

    def ordered(self) -> list[int]:
        """Region ids in a stable order (by their smallest face index)."""
        return sorted(self.members, key=lambda r: min(self.members[r]))


def shared_borders(faces: Sequence[Polygon], *, min_length_m: float = 0.5) -> dict[tuple[int, int], float]:
    """Length (m) of the border each pair of touching faces shares (pairs with i < j)."""
    tree = STRtree(faces)
    result: dict[tuple[int, int], float] = {}
    boundaries = [f.boundary for f in faces]
    for i, face in enumerate(faces):
        for j in tree.query(face, predicate="intersects"):
            j = int(j)
            if j <= i:
                continue
            length = boundaries[i].intersection(boundaries[j]).length
            if length >= min_length_m:
                result[(i, j)] = length
    return result


def merge_small(regions: Regions, is_small: Callable[[Regions, int], bool],
                score: Callable[[Regions, int, int, float], float]) -> None:
    """Merge every region for which ``is_small`` holds into the neighbour with the lowest
    ``score(regions, small, neighbour, shared_m)``, smallest region (by weight, then area)
    first, until no small region has a neighbour left to merge with."""
    stuck: set[int] = set()
    while True:
        small = [r for r in regions.ordered() if r not in stuck and is_small(regions, r)]
        if not small:
            return
        r = min(small, key=lambda s: (regions.region_weight(s), regions.region_area_m2(s), min(regions.members[s])))
        options = regions.neighbours(r)
        if not options:
            stuck.add(r)
            continue
        best = min(options, key=lambda o: (score(regions, r, o, options[o]), min(regions.members[o])))
        regions.merge(best, r)


def split_polygon(poly: Polygon | MultiPolygon, points_xy: np.ndarray, pieces: int) -> list[shapely.Geometry]:
    """Cut ``poly`` into ``pieces`` parts with straight lines across its longest axis, at the
    quantiles of ``points_xy`` (so that each part holds about the same number of points;
    without points, equal widths). Parts are returned in order along the axis."""
    if pieces <= 1:
        return [poly]
    rect = poly.minimum_rotated_rectangle
    corners = np.asarray(rect.exterior.coords)[:4]
    edges = [corners[1] - corners[0], corners[2] - corners[1]]
    axis = max(edges, key=lambda e: float(np.hypot(*e)))
    axis = axis / np.hypot(*axis)
    normal = np.array([-axis[1], axis[0]])
    along = shapely.get_coordinates(poly) @ axis
    lo, hi = float(along.min()), float(along.max())
    if len(points_xy) >= pieces * 5:
        cuts = np.quantile(points_xy @ axis, [k / pieces for k in range(1, pieces)])
    else:
        cuts = np.linspace(lo, hi, pieces + 1)[1:-1]
    reach = float(np.hypot(*(np.asarray(poly.bounds[2:]) - np.asarray(poly.bounds[:2])))) + 10.0
    centre = np.asarray(poly.centroid.coords[0])
    offset = float(centre @ axis)
    parts: list[Polygon] = []
    rest: shapely.Geometry = poly
    for cut in cuts:
        base = centre + axis * (cut - offset)
        # A half plane on the low side of the cut: everything up to the cut line.
        half = Polygon([base + normal * reach, base - normal * reach,
                        base - normal * reach - axis * 2 * reach, base + normal * reach - axis * 2 * reach])
        low = rest.intersection(half)
        rest = rest.difference(half)
        parts.append(low)
    parts.append(rest)
    return [p for p in parts if not p.is_empty]

