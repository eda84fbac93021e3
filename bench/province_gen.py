"""A province tiled from the demo district (bench/province.py's generator).

The demo district (fixtures/demo: 2 streets, 7 communities, 50 grids, 20,000 households,
5,000 incidents, 112 facilities, and the walk network of the same OSM extract) is one
*copy*; a generated district is a 3 × 3 block of copies shifted east and north (18 街道,
63 社区, 450 网格), and the districts are laid out on a square lattice. Every district gets
its own 6-digit code (51CCNN: city CC, county NN), every street, community and grid the
codes of the demo with the district's digits and the copy's street number (the grid's own
3 digits are the demo's: copies are translations, so west→east, north→south still holds).

Households per district are ``households // districts``; a copy takes that ninth of the
demo's households, drawn without replacement (seeded), so every household sits exactly
where a demo household sits in its copy. Incidents: a quarter of the households per copy
(the demo's ratio), drawn from the demo's with replacement and re-timed over the last 365
days. Facilities and the network are copied whole (clipped to the copy's box + 400 m).

Everything is numpy-vectorised; households go to a CSV ledger (the importer's format,
Chinese headers) under var/bench/, the rest into the database with COPY.
"""

from __future__ import annotations

import io
import json
import lzma
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "demo"
OSM = ROOT / "fixtures" / "osm" / "chengdu_center_2018.osm.bz2"
COPIES_PER_SIDE = 3  # a district is 3 × 3 copies of the demo
COPIES = COPIES_PER_SIDE * COPIES_PER_SIDE
MAX_PER_DISTRICT = 180_000  # 9 copies × at most the demo's 20,000 households
GAP_DEG = 0.01  # between copies (≈ 1 km): the network and facilities margins never overlap
MARGIN_DEG = 0.004  # network / facilities kept around a copy's box (≈ 400 m)
INCIDENTS_PER_HOUSEHOLD = 0.25  # the demo's 5,000 / 20,000
LEDGER_HEADER = ["编号", "户主姓名", "地址", "人口数", "联系电话", "身份证号", "人员类别", "经度", "纬度"]


@dataclass(frozen=True)
class Layout:
    """How many districts, and households per district (the first ones take the remainder)."""

    districts: int
    households: int

    @classmethod
    def for_households(cls, households: int, districts: int | None = None) -> Layout:
        n = districts or max(1, math.ceil(households / MAX_PER_DISTRICT))
        if households > n * MAX_PER_DISTRICT:
            msg = f"{households} households need at least {math.ceil(households / MAX_PER_DISTRICT)} districts"
            raise ValueError(msg)
        return cls(n, households)

    def per_district(self) -> np.ndarray:
        base = np.full(self.districts, self.households // self.districts, dtype=np.int64)
        base[: self.households % self.districts] += 1
        return base

    def per_copy(self) -> np.ndarray:
        """(districts, 9) households of each copy."""
        out = np.repeat(self.per_district()[:, None] // COPIES, COPIES, axis=1)
        out[:, : 1] += 0  # keep shape; the remainder goes to the first copies below
        rest = self.per_district() - out.sum(axis=1)
        for d, r in enumerate(rest.tolist()):
            out[d, :r] += 1
        return out


def district_code(d: int) -> str:
    """51CCNN: 20 counties (04..23) per city, cities 01, 02, …"""
    return f"51{1 + d // 20:02d}{4 + d % 20:02d}"


@dataclass
class Pattern:
    """The demo district read once: areas (shapely, WGS84), households, incidents,
    facilities and the walk network, all as arrays."""

    areas: pd.DataFrame  # level, code, name, parent, geom
    households: pd.DataFrame
    incidents: pd.DataFrame
    facilities: pd.DataFrame
    node_lonlat: np.ndarray
    edge_source: np.ndarray  # index into node_lonlat
    edge_target: np.ndarray
    edge_cost: np.ndarray
    edge_reverse: np.ndarray
    edge_length: np.ndarray
    edge_wkb_coords: list[np.ndarray]
    bbox: tuple[float, float, float, float]

    @property
    def step_deg(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.bbox
        return x1 - x0 + GAP_DEG, y1 - y0 + GAP_DEG


def _csv(name: str) -> pd.DataFrame:
    with lzma.open(DEMO / name, "rt", encoding="utf-8") as f:
        return pd.read_csv(f, dtype=str, keep_default_na=False)


def read_pattern() -> Pattern:
    features = json.loads((DEMO / "areas.geojson").read_text(encoding="utf-8"))["features"]
    areas = pd.DataFrame([f["properties"] for f in features])
    areas["geom"] = shapely.from_geojson([json.dumps(f["geometry"]) for f in features])
    bbox = tuple(shapely.total_bounds(areas.loc[areas["level"] == "district", "geom"].to_numpy()).tolist())
    households = _csv("households.csv.xz")
    incidents = _csv("incidents.csv.xz")
    facilities = _csv("facilities.csv.xz")
    for frame in (households, incidents, facilities):
        frame["lon"] = frame["lon"].astype(float)
        frame["lat"] = frame["lat"].astype(float)
    x0, y0, x1, y1 = bbox
    near = ((facilities["lon"] > x0 - MARGIN_DEG) & (facilities["lon"] < x1 + MARGIN_DEG)
            & (facilities["lat"] > y0 - MARGIN_DEG) & (facilities["lat"] < y1 + MARGIN_DEG))  # fmt: skip
    facilities = facilities[near].reset_index(drop=True)
    # Tags "{低保,残疾}" → the ledger's "低保、残疾".
    households["人员类别"] = households["tags"].str.strip("{}").str.replace(",", "、")
    from importers.network import OsmWalkReader

    net = OsmWalkReader().read(OSM)
    ll = net.node_lonlat
    keep_node = ((ll[:, 0] > x0 - MARGIN_DEG) & (ll[:, 0] < x1 + MARGIN_DEG)
                 & (ll[:, 1] > y0 - MARGIN_DEG) & (ll[:, 1] < y1 + MARGIN_DEG))  # fmt: skip
    index = {int(n): i for i, n in enumerate(net.node_ids.tolist())}
    s = np.array([index[int(v)] for v in net.source.tolist()], dtype=np.int64)
    t = np.array([index[int(v)] for v in net.target.tolist()], dtype=np.int64)
    keep_edge = keep_node[s] & keep_node[t]
    used = np.zeros(len(ll), dtype=bool)
    used[s[keep_edge]] = used[t[keep_edge]] = True
    renumber = np.cumsum(used) - 1
    return Pattern(
        areas=areas, households=households, incidents=incidents, facilities=facilities,
        node_lonlat=ll[used], edge_source=renumber[s[keep_edge]], edge_target=renumber[t[keep_edge]],
        edge_cost=net.cost[keep_edge], edge_reverse=net.reverse_cost[keep_edge], edge_length=net.length_m[keep_edge],
        edge_wkb_coords=[c for c, k in zip(net.coords, keep_edge.tolist(), strict=True) if k], bbox=bbox,
    )  # fmt: skip


def copy_offsets(pattern: Pattern, districts: int) -> np.ndarray:
    """(districts, 9, 2) lon/lat shift of each copy: districts on a square lattice, copies 3 × 3 inside."""
    dx, dy = pattern.step_deg
    side = math.ceil(math.sqrt(districts))
    d = np.arange(districts)
    k = np.arange(COPIES)
    col = (d[:, None] % side) * COPIES_PER_SIDE + k[None, :] % COPIES_PER_SIDE
    row = (d[:, None] // side) * COPIES_PER_SIDE + k[None, :] // COPIES_PER_SIDE
    return np.stack([col * dx, row * dy], axis=-1)


# --- households: the CSV ledger --------------------------------------------------------------------


def write_ledger(path: Path, pattern: Pattern, layout: Layout, *, seed: int) -> int:
    """The households of every district as the importer's CSV (UTF-8 with BOM); returns rows."""
    rng = np.random.default_rng([seed, 1])
    offsets = copy_offsets(pattern, layout.districts)
    hh = pattern.households
    lon, lat = hh["lon"].to_numpy(), hh["lat"].to_numpy()
    cols = {c: hh[c].to_numpy() for c in ("head_name", "address", "residents", "phone", "id_number", "人员类别")}
    per_copy = layout.per_copy()
    path.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        for d in range(layout.districts):
            picks = [rng.choice(len(hh), size=int(n), replace=False) for n in per_copy[d]]
            idx = np.concatenate(picks)
            copy = np.repeat(np.arange(COPIES), per_copy[d])
            n = len(idx)
            keys = np.char.add(f"P{district_code(d)}-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
            frame = pd.DataFrame({
                "编号": keys, "户主姓名": cols["head_name"][idx],
                "地址": np.char.add(np.char.add(np.asarray(cols["address"][idx], dtype=str), "（"),
                                   np.char.add((copy + 1).astype(str), "）")),
                "人口数": cols["residents"][idx], "联系电话": cols["phone"][idx], "身份证号": cols["id_number"][idx],
                "人员类别": cols["人员类别"][idx],
                "经度": np.round(lon[idx] + offsets[d, copy, 0], 7), "纬度": np.round(lat[idx] + offsets[d, copy, 1], 7),
            })  # fmt: skip
            frame.to_csv(f, index=False, header=d == 0, lineterminator="\r\n", float_format="%.7f")
            written += n
    return written


# --- database: areas, facilities, network, incidents ----------------------------------------------


def _copy_rows(cur, table: str, columns: str, rows: io.StringIO) -> None:
    rows.seek(0)
    cur.cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", rows)


def _hex(geoms: np.ndarray) -> list[str]:
    return shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True).tolist()


def _shift(geoms: np.ndarray, dlon: float, dlat: float) -> np.ndarray:
    return shapely.transform(geoms, lambda c: c + np.array([dlon, dlat]))


def reset(cur) -> None:
    cur.execute("""TRUNCATE people_household, incidents_incident, incidents_incidenttransition,
                   facilities_facility, facilities_walknode, facilities_walkedge,
                   grids_gridassignment, grids_grid, grids_community, grids_street, grids_district
                   RESTART IDENTITY CASCADE""")


def load_areas(cur, pattern: Pattern, layout: Layout) -> dict[str, int]:
    """Districts, streets, communities, grids (through the grid topology trigger)."""
    from layers.grids.crs import zone_srid_for_lonlat

    areas = pattern.areas
    offsets = copy_offsets(pattern, layout.districts)
    by = {lv: areas[areas["level"] == lv].reset_index(drop=True) for lv in ("district", "street", "community", "grid")}
    street_seq = {code: i for i, code in enumerate(sorted(by["street"]["code"]))}
    buf = {lv: io.StringIO() for lv in ("district", "street", "community", "grid")}
    demo_parts = shapely.get_parts(by["district"]["geom"].to_numpy())
    for d in range(layout.districts):
        code = district_code(d)
        parts = np.concatenate([_shift(demo_parts, *offsets[d, k]) for k in range(COPIES)])
        mp = shapely.multipolygons(parts)
        lon, lat = shapely.centroid(mp).coords[0]
        buf["district"].write(f"{code}\t基准{d + 1}区\t{_hex(np.array([mp]))[0]}\tbench province\t"
                              f"{zone_srid_for_lonlat(lon, lat)}\n")
        for k in range(COPIES):
            for lv in ("street", "community", "grid"):
                frame = by[lv]
                geoms = _hex(_shift(frame["geom"].to_numpy(), *offsets[d, k]))
                for (c, name, parent), g in zip(frame[["code", "name", "parent"]].itertuples(index=False), geoms,
                                                strict=True):
                    new, new_parent = _recode(c, code, k, street_seq), _recode(parent, code, k, street_seq)
                    label = f"{name}（{k + 1}）" if lv != "grid" else name
                    buf[lv].write(f"{new}\t{label}\t{g}\t{new_parent}\n")
    cur.execute("CREATE TEMP TABLE pv_area (code text, name text, geom geometry, parent text) ON COMMIT DROP")
    _copy_rows(cur, "grids_district", "code, name, geom, source, metric_srid", buf["district"])
    counts = {"districts": layout.districts}
    for lv, parent_table, table, fk in (("street", "grids_district", "grids_street", "district_id"),
                                         ("community", "grids_street", "grids_community", "street_id"),
                                         ("grid", "grids_community", "grids_grid", "community_id")):
        cur.execute("TRUNCATE pv_area")
        _copy_rows(cur, "pv_area", "code, name, geom, parent", buf[lv])
        cur.execute(f"INSERT INTO {table} (code, name, geom, {fk}) SELECT a.code, a.name, ST_Multi(a.geom), p.id"  # noqa: S608
                    f" FROM pv_area a JOIN {parent_table} p ON p.code = a.parent ORDER BY a.code")
        counts[lv + "s"] = cur.rowcount
    return counts


def _recode(code: str, district: str, copy: int, street_seq: dict[str, int]) -> str:
    """The demo's code (510104 + street 3 + community 3 + grid 3) in ``district``, copy ``copy``."""
    if len(code) == 6:
        return district
    street = f"{copy * len(street_seq) + street_seq[code[:9]] + 1:03d}"
    return district + street + code[9:]


def load_facilities(cur, pattern: Pattern, layout: Layout) -> int:
    fac = pattern.facilities
    offsets = copy_offsets(pattern, layout.districts)
    cur.execute("SELECT code, id FROM facilities_facilitytype")
    types = dict(cur.fetchall())
    fac = fac[fac["type"].isin(types)].reset_index(drop=True)
    type_ids = fac["type"].map(types).to_numpy()
    buf = io.StringIO()
    for d in range(layout.districts):
        for k in range(COPIES):
            pts = shapely.points(fac["lon"].to_numpy() + offsets[d, k, 0], fac["lat"].to_numpy() + offsets[d, k, 1])
            for i, (t, name, g) in enumerate(zip(type_ids.tolist(), fac["name"].tolist(), _hex(pts), strict=True)):
                buf.write(f"{t}\t{name}\t{g}\t\tsynthetic\tprovince/{district_code(d)}/{k}/{i}\tt\n")
    _copy_rows(cur, "facilities_facility", "type_id, name, geom, address, source, source_id, synthetic", buf)
    return cur.rowcount


def load_network(cur, pattern: Pattern, layout: Layout) -> tuple[int, int]:
    """Every copy's walk network; node ids (copy + 1) × 100,000 + the copy's own node number."""
    offsets = copy_offsets(pattern, layout.districts)
    nodes, edges = io.StringIO(), io.StringIO()
    coords = pattern.edge_wkb_coords
    lines = shapely.linestrings(np.concatenate(coords), indices=np.repeat(np.arange(len(coords)),
                                                                          [len(c) for c in coords]))
    n_nodes = len(pattern.node_lonlat)
    tail = [f"\t{c!r}\t{r!r}\t{m!r}\tfootway\t" for c, r, m in
            zip(pattern.edge_cost.tolist(), pattern.edge_reverse.tolist(), pattern.edge_length.tolist(), strict=True)]
    for c, (d, k) in enumerate((d, k) for d in range(layout.districts) for k in range(COPIES)):
        base = (c + 1) * 100_000
        dlon, dlat = offsets[d, k]
        pts = shapely.points(pattern.node_lonlat + np.array([dlon, dlat]))
        nodes.writelines(f"{base + i}\t{g}\n" for i, g in enumerate(_hex(pts)))
        src, tgt = (pattern.edge_source + base).tolist(), (pattern.edge_target + base).tolist()
        edges.writelines(f"{s}\t{t}{m}\t{g}\n" for s, t, m, g in zip(src, tgt, tail, _hex(_shift(lines, dlon, dlat)),
                                                                        strict=True))
    _copy_rows(cur, "facilities_walknode", "id, geom", nodes)
    _copy_rows(cur, "facilities_walkedge", "source, target, cost, reverse_cost, length_m, highway, name, geom", edges)
    return layout.districts * COPIES * n_nodes, layout.districts * COPIES * len(pattern.edge_source)


def load_incidents(cur, pattern: Pattern, layout: Layout, *, seed: int) -> int:
    """A quarter of each copy's households as incidents, drawn from the demo's, within the last 365 days."""
    rng = np.random.default_rng([seed, 2])
    inc = pattern.incidents
    offsets = copy_offsets(pattern, layout.districts)
    per_copy = np.maximum(1, np.round(layout.per_copy() * INCIDENTS_PER_HOUSEHOLD)).astype(np.int64)
    idx = rng.integers(0, len(inc), int(per_copy.sum()))
    d = np.repeat(np.repeat(np.arange(layout.districts), COPIES), per_copy.ravel())
    k = np.repeat(np.tile(np.arange(COPIES), layout.districts), per_copy.ravel())
    age_s = rng.uniform(0, 365 * 86400, len(idx))
    frame = pd.DataFrame({
        "category": inc["category"].to_numpy()[idx],
        "lon": np.round(inc["lon"].to_numpy()[idx] + offsets[d, k, 0], 7),
        "lat": np.round(inc["lat"].to_numpy()[idx] + offsets[d, k, 1], 7),
        "description": inc["description"].to_numpy()[idx], "status": inc["status"].to_numpy()[idx],
        "satisfaction": inc["satisfaction"].to_numpy()[idx], "age_s": np.round(age_s),
    })  # fmt: skip
    buf = io.StringIO()
    frame.to_csv(buf, sep="\t", header=False, index=False)
    cur.execute("""CREATE TEMP TABLE pv_incident (category text, lon float8, lat float8, description text,
                   status text, satisfaction text, age_s float8) ON COMMIT DROP""")
    _copy_rows(cur, "pv_incident", "category, lon, lat, description, status, satisfaction, age_s", buf)
    # Linked in one set-based pass afterwards (layers.grids.linking), as a bulk load does.
    cur.execute("SELECT set_config('gridmap.set_based_linking', 'on', true)")
    cur.execute("""
        INSERT INTO incidents_incident (geom, category_id, description, address, reported_at, status, reporter_name,
                                        satisfaction, external_id, synthetic, dispatched_at, closed_at, district_code)
        SELECT p.geom, c.id, s.description, '', now() - make_interval(secs => s.age_s),
               s.status, '', coalesce(s.satisfaction, ''), '', true,
               CASE WHEN s.status NOT IN ('reported', 'accepted', 'cancelled')
                    THEN now() - make_interval(secs => s.age_s) + interval '1 hour' END,
               CASE WHEN s.status IN ('closed', 'evaluated') THEN now() - make_interval(secs => s.age_s / 2) END,
               gridmap_district_code_for_point(p.geom, NULL)  -- its partition (layers.grids.partitions)
          FROM pv_incident s JOIN incidents_incidentcategory c ON c.code = s.category,
               LATERAL (SELECT ST_SetSRID(ST_MakePoint(s.lon, s.lat), 4326) AS geom) p""")
    return cur.rowcount
