"""Unit-grid codes (单元网格标识码, DOMAIN.md §2).

A grid code is 15 digits: the 12-digit community code and a 3-digit sequence. Inside a
community the sequence runs west→east, north→south, i.e. in reading order: grids are
cut into rows from north to south, and each row is read from west to east.

Rows: grid centroids (in the metric CRS of the community's district, layers.grids.crs, so
that grid north is true north within 1.5° of convergence) are taken from north to south; a grid starts a
new row when its centroid lies more than half a typical grid height (half the square
root of the median grid area) south of the first centroid of the current row. This keeps
a row of similar blocks together even when their centroids are not exactly level.

Codes are identifiers: a grid added later gets the next free sequence number rather than
renumbering its neighbours (their codes may already be printed on door plates and
reports). ``assign_codes`` numbers a whole set of new grids in reading order.
"""

from __future__ import annotations

from collections.abc import Sequence
from statistics import median

from django.contrib.gis.geos import GEOSGeometry

from layers.grids.crs import community_metric_srid, metric_srid_for_geoms

SEQUENCE_DIGITS = 3
MAX_SEQUENCE = 10**SEQUENCE_DIGITS - 1


def reading_order(geoms: Sequence[GEOSGeometry], *, srid: int | None = None) -> list[int]:
    """Indexes of ``geoms`` (WGS84) in reading order (north→south rows, west→east in a row),
    read in the metric CRS ``srid`` (default: the one of their extent, layers.grids.crs)."""
    if not geoms:
        return []
    srid = srid or metric_srid_for_geoms(geoms)
    metric = [g.transform(srid, clone=True) for g in geoms]
    centroids = [(g.centroid.x, g.centroid.y) for g in metric]
    band_m = 0.5 * median(g.area for g in metric) ** 0.5
    by_north = sorted(range(len(geoms)), key=lambda i: (-centroids[i][1], centroids[i][0]))
    rows: list[list[int]] = []
    row_top = None
    for i in by_north:
        y = centroids[i][1]
        if row_top is None or row_top - y > band_m:
            rows.append([])
            row_top = y
        rows[-1].append(i)
    return [i for row in rows for i in sorted(row, key=lambda j: centroids[j][0])]


def format_code(community_code: str, sequence: int) -> str:
    if not 1 <= sequence <= MAX_SEQUENCE:
        msg = f"社区 {community_code} 的网格序号 {sequence} 超出 001–{MAX_SEQUENCE} (grid sequence out of range)"
        raise ValueError(msg)
    return f"{community_code}{sequence:0{SEQUENCE_DIGITS}d}"


def _used_sequences(community) -> set[int]:
    prefix = community.code
    return {int(code[len(prefix):]) for code in community.grids.values_list("code", flat=True) if code}


def next_grid_code(community, geom: GEOSGeometry | None = None) -> str:
    """The next free code in ``community`` (max used sequence + 1)."""
    used = _used_sequences(community)
    return format_code(community.code, max(used, default=0) + 1)


def assign_codes(community, grids: Sequence) -> None:
    """Give each grid of ``grids`` that has no code the next free sequence, in reading order.

    The grids are model instances (saved or not) of ``community``; they are not saved here.
    """
    new = [g for g in grids if not g.code]
    start = max(_used_sequences(community), default=0)
    order = reading_order([g.geom for g in new], srid=community_metric_srid(community)) if new else []
    for offset, index in enumerate(order, start=1):
        new[index].code = format_code(community.code, start + offset)
