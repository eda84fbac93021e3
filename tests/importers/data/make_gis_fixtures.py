"""Regenerate the GIS and ledger test files in this folder from the Chengdu OSM extract:

    .venv/bin/python tests/importers/data/make_gis_fixtures.py

Real: the roads that cut the test street into communities and grids, and the facilities
(© OpenStreetMap contributors, ODbL 1.0; fixtures/osm/chengdu_center_2018.osm.bz2).
Invented: the district and street rectangles (test boundaries, not the real 锦江区), codes,
names of grids, and every household and incident (people, phones and ID numbers are made
up, seeded). The broken files are broken on purpose; see tests/importers/test_*.py.
"""

from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

import geopandas as gpd
import osmium
import pandas as pd
import shapely
import shapely.ops
from osmium.geom import WKBFactory
from shapely.geometry import LineString, MultiPolygon, Polygon

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))
from importers.chinese_crs import wgs84_to_gcj02  # noqa: E402

OSM = HERE.parents[2] / "fixtures" / "osm" / "chengdu_center_2018.osm.bz2"
METRIC = "EPSG:32648"
DISTRICT_BOX = (104.040, 30.640, 104.132, 30.730)
STREET_BOX = (104.062, 30.655, 104.088, 30.672)
COMMUNITY_ROADS = {"primary", "secondary", "trunk"}
GRID_ROADS = {"tertiary", "residential", "unclassified"}
SEED = 20240301
FACILITY_TAGS = {("amenity", "school"), ("amenity", "hospital"), ("amenity", "clinic"), ("amenity", "kindergarten"),
                 ("amenity", "marketplace"), ("amenity", "police"), ("amenity", "library"), ("shop", "supermarket"),
                 ("leisure", "park"), ("amenity", "community_centre")}


def read_osm() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    wkb = WKBFactory()
    roads: list[dict] = []
    pois: list[dict] = []

    class Handler(osmium.SimpleHandler):
        def way(self, w):
            tags = dict(w.tags)
            if tags.get("highway") in COMMUNITY_ROADS | GRID_ROADS and tags.get("area") != "yes":
                try:
                    roads.append({"highway": tags["highway"], "name": tags.get("name", "").split(" - ")[0],
                                  "geometry": shapely.from_wkb(wkb.create_linestring(w))})
                except RuntimeError:
                    pass

        def node(self, n):
            tags = dict(n.tags)
            hit = [f"{k}={v}" for k, v in tags.items() if (k, v) in FACILITY_TAGS]
            name = tags.get("name", "").split(" - ")[0]
            if hit and name and any("\u4e00" <= ch <= "\u9fff" for ch in name) and "大学" not in name:
                pois.append({"id": f"node/{n.id}", "name": name, "type": hit[0],
                             "geometry": shapely.from_wkb(wkb.create_point(n))})

    Handler().apply_file(str(OSM), locations=True)
    return (gpd.GeoDataFrame(roads, crs=4326).to_crs(METRIC), gpd.GeoDataFrame(pois, crs=4326))


def faces(lines: list[LineString], area: Polygon, min_area: float) -> list[Polygon]:
    """The faces the roads cut ``area`` into, faces under ``min_area`` m² merged into a neighbour."""
    clipped = [g for g in (line.intersection(area) for line in lines) if not g.is_empty]
    noded = shapely.union_all([*clipped, area.exterior])
    polys = [p for p in shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
             if area.contains(p.representative_point())]
    while len(polys) > 1:
        small = min(range(len(polys)), key=lambda i: polys[i].area)
        if polys[small].area >= min_area:
            break
        shared = [(polys[small].boundary.intersection(p.boundary).length, j) for j, p in enumerate(polys) if j != small]
        length, best = max(shared)
        if length == 0:
            break
        polys[best] = shapely.union(polys[best], polys[small])
        del polys[small]
    return [p for p in polys if p.geom_type == "Polygon"]


def split_large(polys: list[Polygon], max_area: float) -> list[Polygon]:
    """Cut faces over ``max_area`` m² in two across their longer side (lanes OSM does not have)."""
    out: list[Polygon] = []
    todo = list(polys)
    while todo:
        p = todo.pop()
        if p.area <= max_area:
            out.append(p)
            continue
        minx, miny, maxx, maxy = p.bounds
        c = p.centroid
        cut = (LineString([(c.x, miny - 1), (c.x, maxy + 1)]) if maxx - minx > maxy - miny
               else LineString([(minx - 1, c.y), (maxx + 1, c.y)]))
        parts = [g for g in shapely.get_parts(shapely.ops.split(p, cut)) if g.area > 1]
        if len(parts) < 2:
            out.append(p)
            continue
        todo += parts
    return out


def reading_order(polys: list[Polygon]) -> list[Polygon]:
    """North→south rows (half a typical height apart), west→east in a row, like layers.grids.codes."""
    band = 0.5 * sorted(p.area for p in polys)[len(polys) // 2] ** 0.5
    rest = sorted(polys, key=lambda p: (-p.centroid.y, p.centroid.x))
    out: list[Polygon] = []
    while rest:
        top = rest[0].centroid.y
        row = [p for p in rest if top - p.centroid.y <= band]
        out += sorted(row, key=lambda p: p.centroid.x)
        rest = [p for p in rest if p not in row]
    return out


def frame(rows: list[dict], crs=METRIC) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)


def to_wgs(rows: list[dict]) -> gpd.GeoDataFrame:
    gdf = frame(rows).to_crs(4326)
    gdf["geometry"] = shapely.set_precision(gdf.geometry.values, 1e-8)
    return gdf


def build_boundaries(roads: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, ...]:
    # Dense edges (20 m): areas on the geography of slivers along a long straight edge are
    # not ~0 (geodesic vs. straight line in lon/lat), and surveyed boundaries are dense anyway.
    street_m = frame([{"geometry": shapely.box(*STREET_BOX)}], 4326).to_crs(METRIC).geometry[0].segmentize(20)
    major = [g for g, h in zip(roads.geometry, roads.highway, strict=True) if h in COMMUNITY_ROADS]
    minor = [g for g, h in zip(roads.geometry, roads.highway, strict=True) if h in GRID_ROADS]
    communities = reading_order(faces(major, street_m, 300_000))
    c_rows, g_rows = [], []
    names = ["春熙", "盐市口", "红星", "总府", "东大", "大慈", "书院", "督院", "暑袜", "龙王庙", "纱帽", "城守"]
    for i, community in enumerate(communities, start=1):
        code = f"510104001{i:03d}"
        c_rows.append({"社区编码": code, "社区名称": f"{names[i % len(names)]}社区", "街道编码": "510104001",
                       "geometry": MultiPolygon([community])})
        for j, grid in enumerate(reading_order(split_large(faces(minor, community, 40_000), 250_000)), start=1):
            g_rows.append({"网格编码": f"{code}{j:03d}", "网格名称": f"{names[i % len(names)]}第{j}网格",
                           "社区编码": code, "geometry": MultiPolygon([grid])})
    district = to_wgs([{"区划代码": "510104", "名称": "锦江区(测试边界)",
                        "geometry": frame([{"geometry": shapely.box(*DISTRICT_BOX)}], 4326).to_crs(METRIC).geometry[0]}])
    street = to_wgs([{"街道编码": "510104001", "街道名称": "春熙路街道(测试)", "geometry": street_m}])
    return district, street, to_wgs(c_rows), to_wgs(g_rows)


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超"]
TAGS = ["", "", "", "低保", "独居老人", "高龄", "流动人口", "残疾、低保", "慢性病", "有幼儿"]


def id_number(rng: random.Random) -> str:
    body = f"510104{rng.randint(1940, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def points_in(grids: gpd.GeoDataFrame, n: int, rng: random.Random) -> list[tuple[float, float, str]]:
    out = []
    while len(out) < n:
        g = grids.iloc[rng.randrange(len(grids))]
        minx, miny, maxx, maxy = g.geometry.bounds
        p = shapely.Point(round(rng.uniform(minx, maxx), 6), round(rng.uniform(miny, maxy), 6))
        if g.geometry.buffer(-0.0002).contains(p):  # ~20 m inside: never on a border
            out.append((p.x, p.y, g["网格编码"]))
    return out


def ledgers(grids: gpd.GeoDataFrame, pois: gpd.GeoDataFrame, roads: list[str]) -> None:
    rng = random.Random(SEED)
    rows = []
    for i, (x, y, _) in enumerate(points_in(grids, 40, rng), start=1):
        rows.append({"序号": i, "编号": f"JJ-CX-{i:05d}", "户主姓名": rng.choice(SURNAMES) + rng.choice(GIVEN),
                     "地址": f"{rng.choice(roads)}{rng.randint(1, 200)}号{rng.randint(1, 12)}栋{rng.randint(1, 30)}0{rng.randint(1, 4)}",
                     "人口数": rng.randint(1, 6), "联系电话": f"1380013{rng.randint(0, 9999):04d}",
                     "身份证号": id_number(rng), "人员类别": rng.choice(TAGS), "经度": x, "纬度": y})
    ledger = pd.DataFrame(rows)
    ledger["身份证号"] = ledger["身份证号"].astype(object)
    ledger.loc[4, "身份证号"] = float(ledger.loc[4, "身份证号"][:15]) * 1000  # Excel kept 15 digits of a number
    with pd.ExcelWriter(HERE / "households_ledger.xlsx", engine="openpyxl") as xl:
        ledger.to_excel(xl, sheet_name="户籍台账", index=False)
    dup = ledger.drop(columns=["序号"]).iloc[:6].copy()
    dup.loc[5, "编号"] = dup.loc[1, "编号"]
    dup.loc[3, "编号"] = ""
    dup.to_csv(HERE / "households_duplicates.csv", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    wkt = ledger.iloc[:3][["编号", "户主姓名", "地址", "人口数"]].copy()
    wkt["几何"] = [f"POINT ({x} {y})" for x, y in zip(ledger["经度"][:3], ledger["纬度"][:3], strict=True)]
    wkt.to_csv(HERE / "households_wkt.csv", index=False, lineterminator="\r\n")
    text = (HERE / "households_duplicates.csv").read_bytes()
    (HERE / "households_truncated.csv").write_bytes(text[: len(text) - 40])

    categories = ["矛盾纠纷", "治安隐患", "消防隐患", "市容环境", "民生诉求", "city_appearance"]
    times = ["2024-03-01 08:30", "2024/3/2 9:05", "2024年3月3日 14时20分", "2024-03-04T10:00:00+08:00",
             "2024-03-05 16:45:00", "2024/03/06"]
    statuses = ["信息采集", "已结案", "处理中", "立案", "", "dispatched"]
    inc = []
    for i, (x, y, grid) in enumerate(points_in(grids, 12, rng), start=1):
        gx, gy = wgs84_to_gcj02(x, y)
        inc.append({"事件编号": f"SJ2024{i:04d}", "事件类型": categories[i % 6], "上报时间": times[i % 6],
                    "状态": statuses[i % 6], "事件描述": "居民反映问题(示例)", "地址": f"{rng.choice(roads)}{i}号",
                    "经度": round(float(gx), 6), "纬度": round(float(gy), 6), "预期网格": grid})
    pd.DataFrame(inc).to_csv(HERE / "incidents_gcj02.csv", index=False, encoding="gbk", lineterminator="\r\n")
    bad = pd.DataFrame(inc[:5]).drop(columns=["预期网格"])
    bad.loc[0, "事件类型"] = "乱扔垃圾"
    bad.loc[1, "上报时间"] = "昨天下午"
    bad.loc[2, "上报时间"] = "2099-01-01 00:00"
    bad.loc[3, "状态"] = "搁置"
    bad.to_csv(HERE / "incidents_bad.csv", index=False, encoding="utf-8", lineterminator="\r\n")

    fac = pois[pois.geometry.within(shapely.box(*DISTRICT_BOX))].head(30)
    fac.to_file(HERE / "facilities_osm.geojson", driver="GeoJSON")
    kinds = ["社区卫生服务站", "养老院", "日间照料中心", "幼儿园", "党群服务中心", "警务室", "图书室", "健身点", "菜市场", "社区医院"]
    pts = points_in(grids, len(kinds), rng)
    flist = pd.DataFrame([{"设施名称": f"春熙路{k}(示例)", "设施类别": k, "经度坐标": x, "纬度坐标": y,
                           "床位数": 20 if k == "养老院" else None} for k, (x, y, _) in zip(kinds, pts, strict=True)])
    flist.to_excel(HERE / "facilities_list.xlsx", index=False)
    kml = gpd.GeoDataFrame({"name": flist["设施名称"][:3], "type": flist["设施类别"][:3]},
                           geometry=gpd.points_from_xy(flist["经度坐标"][:3], flist["纬度坐标"][:3]), crs=4326)
    kml.to_file(HERE / "facilities.kml", driver="KML")


def broken_grids(grids: gpd.GeoDataFrame) -> None:
    first = grids[grids["社区编码"] == "510104001001"].reset_index(drop=True)
    second = grids[grids["社区编码"] == "510104001002"].reset_index(drop=True)
    # A spike into the grid (a digitising slip): invalid, make_valid gives back the grid.
    spiky = first.copy()
    ring = list(spiky.geometry[0].geoms[0].exterior.coords)
    inner = spiky.geometry[0].geoms[0].representative_point()
    spiky.loc[0, "geometry"] = MultiPolygon([Polygon([*ring[:2], (inner.x, inner.y), *ring[1:]])])
    spiky.to_file(HERE / "grids_selfintersecting.geojson", driver="GeoJSON")
    # One grid pushed 15 m over its neighbours and out of the community, one grid missing.
    over = second.copy()
    grown = gpd.GeoSeries([second.to_crs(METRIC).geometry[0].buffer(15, join_style="mitre")], crs=METRIC)
    over.loc[0, "geometry"] = MultiPolygon([grown.to_crs(4326)[0]])
    over.iloc[:-1].to_file(HERE / "grids_overlapping.geojson", driver="GeoJSON")
    nocode = first[["网格名称", "geometry"]]
    nocode.to_file(HERE / "grids_nocode.geojson", driver="GeoJSON")
    first.assign(geometry=first.geometry.boundary).to_file(HERE / "grids_as_lines.geojson", driver="GeoJSON")
    text = (HERE / "grids_nocode.geojson").read_bytes()
    (HERE / "grids_truncated.geojson").write_bytes(text[: len(text) // 2])
    folder = HERE / "grids_no_crs"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    first.to_crs("EPSG:4523").to_file(folder / "grids.shp", encoding="GBK")
    for extra in folder.glob("grids.[pc][rp][jg]"):
        extra.unlink()  # no .prj (no CRS) and no .cpg (GBK text, as ArcGIS on Chinese Windows writes)
    (HERE / "empty.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": []}))
    (HERE / "households_empty.csv").write_text("编号,经度,纬度,地址,户主姓名\r\n", encoding="utf-8")


def main() -> None:
    roads, pois = read_osm()
    district, street, communities, grids = build_boundaries(roads)
    district.to_file(HERE / "district.geojson", driver="GeoJSON")
    street.to_file(HERE / "street.geojson", driver="GeoJSON")
    communities.to_crs(4490).to_file(HERE / "communities.gpkg", layer="社区", driver="GPKG")
    shp = HERE / "grids_gk35"
    shutil.rmtree(shp, ignore_errors=True)
    shp.mkdir()
    grids.to_crs("EPSG:4523").to_file(shp / "grids_gk35.shp", encoding="GBK")
    (shp / "grids_gk35.cpg").unlink(missing_ok=True)
    shutil.make_archive(str(HERE / "grids_gk35"), "zip", shp)
    shutil.rmtree(shp)
    names = sorted({n for n in roads.name if n and all("\u4e00" <= ch <= "\u9fff" for ch in n)})
    ledgers(grids, pois, names[:12])
    broken_grids(grids)
    print(f"{len(communities)} communities, {len(grids)} grids, {len(pois)} facilities")


if __name__ == "__main__":
    main()
