"""Where a boundary file's features land, and which --crs would put them in place.

A file in degrees that declares EPSG:3857 lands its features a few ten-thousandths of a
degree from (0, 0); a file of Gauss–Krüger metres declared as degrees lands them nowhere on
Earth. Either way the file is refused as a whole, naming the coordinate system it declared,
where its features landed and — when one of the usual suspects puts them back inside the
district — the --crs to use.

The reference is the stored districts' extent (with a margin), or China (lon 73–136,
lat 3–54) for a district file or while no district is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from importers.chinese_crs import CrsSpec, UnknownCrsError, parse_crs_option, to_wgs84
from importers.loaders import topology
from importers.readers import ReadError

CHINA = (73.0, 3.0, 136.0, 54.0)
MARGIN_DEG = 0.05  # about 5 km around the districts: a GCJ-02 shift (~500 m) stays inside
_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class Reference:
    box: tuple[float, float, float, float]
    where: str  # 本区… / 中国…
    district: bool  # True: the stored districts' extent


def reference(level: str) -> Reference:
    box = None if level == "district" else topology.district_extent()
    if box is None:
        return Reference(CHINA, "不在中国范围内 (outside China: lon 73–136, lat 3–54)", False)
    grown = (box[0] - MARGIN_DEG, box[1] - MARGIN_DEG, box[2] + MARGIN_DEG, box[3] + MARGIN_DEG)
    return Reference(grown, f"不在本区范围内 (outside the district: {topology.district_names()})", True)


def centres(geoms: npt.NDArray[np.object_]) -> npt.NDArray[np.float64]:
    """The centre of each geometry's bounding box, (n, 2); NaN for a missing one."""
    if len(geoms) == 0:
        return np.empty((0, 2))
    with np.errstate(invalid="ignore"):
        b = shapely.bounds(geoms)
        return np.column_stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2])


def _inside(xy: npt.NDArray[np.float64], box: tuple[float, float, float, float]) -> npt.NDArray[np.bool_]:
    x, y = xy[:, 0], xy[:, 1]
    with np.errstate(invalid="ignore"):
        return np.isfinite(x) & np.isfinite(y) & (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


def _number(v: float) -> str:
    if not math.isfinite(v):
        return "?"
    return f"{v:.4f}" if abs(v) < 1000 else f"{v:.0f}"


def _candidates(raw: npt.NDArray[np.float64], ref: Reference) -> list[tuple[str, str]]:
    """(--crs value, what the coordinates would be) for the usual mistakes, most likely first."""
    out = [("wgs84", "经纬度 (degrees)"), ("EPSG:3857", "Web 墨卡托米制坐标 (Web Mercator metres)")]
    x = float(np.nanmedian(raw[:, 0])) if np.isfinite(raw[:, 0]).any() else math.nan
    if 13e6 <= x < 24e6:
        zone = int(x // 1e6)
        out.append((f"EPSG:{4491 + zone - 13}", f"CGCS2000 高斯-克吕格 6 度带第 {zone} 带 (Gauss-Kruger 6-degree zone {zone})"))
    if 25e6 <= x < 46e6:
        zone = int(x // 1e6)
        out.append((f"EPSG:{4513 + zone - 25}", f"CGCS2000 高斯-克吕格 3 度带第 {zone} 带 (Gauss-Kruger 3-degree zone {zone})"))
    if 0 < x < 1e6 and ref.district:
        lon0 = (ref.box[0] + ref.box[2]) / 2
        cm3 = 3 * round(lon0 / 3)
        cm6 = 6 * math.floor(lon0 / 6) + 3
        out += [
            (f"EPSG:{4534 + (cm3 - 75) // 3}",
             f"CGCS2000 高斯-克吕格 3 度带米制坐标, 中央经线 {cm3}°E (Gauss-Kruger 3-degree, CM {cm3}°E)"),
            (f"EPSG:{4502 + (cm6 - 75) // 6}",
             f"CGCS2000 高斯-克吕格 6 度带米制坐标, 中央经线 {cm6}°E (Gauss-Kruger 6-degree, CM {cm6}°E)"),
            (f"EPSG:{32600 + math.floor((lon0 + 180) / 6) + 1}", "UTM 米制坐标 (UTM metres)"),
        ]
    return out


def suggestion(raw: npt.NDArray[np.float64], declared: CrsSpec, ref: Reference) -> str:
    """'如坐标为经纬度，请用 --crs wgs84' for the first candidate that puts most features inside."""
    if declared.is_geographic and len(raw) and _inside(raw[:, ::-1], ref.box).mean() >= 0.5:
        return ("经纬度似乎颠倒，请在源软件中交换 X/Y 后重新导出 (longitude and latitude look swapped: "
                "swap X/Y where the file was made and export it again)")
    for option, what in _candidates(raw, ref):
        try:
            spec = parse_crs_option(option)
        except UnknownCrsError:
            continue
        if spec == declared or (spec.is_geographic and declared.is_geographic and declared.kind == "pyproj"):
            continue
        with np.errstate(all="ignore"):
            lon, lat = to_wgs84(raw[:, 0], raw[:, 1], spec)
        landed = np.column_stack([np.atleast_1d(lon), np.atleast_1d(lat)])
        if len(landed) and _inside(landed, ref.box).mean() >= 0.5:
            zh, _, en = what.partition(" (")
            return f"如坐标为{zh}，请用 --crs {option} (if the coordinates are {en.rstrip(')')}, use --crs {option})"
    return "请核对坐标系并用 --crs 指定 (check the coordinate system and give it with --crs)"


def check(file_name: str, level: str, declared: CrsSpec, by_option: bool,
          raw: npt.NDArray[np.float64], wgs: npt.NDArray[np.float64]) -> None:
    """Refuse the file (ReadError) when none of its features lands inside the reference."""
    if len(raw) == 0:
        return
    ref = reference(level)
    if _inside(wgs, ref.box).any():
        return
    finite = wgs[np.isfinite(wgs).all(axis=1)]
    where = (f"({_number(float(np.median(finite[:, 0])))}, {_number(float(np.median(finite[:, 1])))})"
             if len(finite) else "(无法换算的位置, no valid position)")
    name = declared.srs if declared.srs and declared.srs.startswith("EPSG:") else declared.name
    said = "--crs 指定坐标系" if by_option else "文件声明坐标系"
    msg = (f"{file_name}: {said} {name}，要素落在 {where} 附近，{ref.where}；{suggestion(raw, declared, ref)} "
           f"({'--crs says' if by_option else 'the file declares'} {name} ({declared.name}); "
           f"its {len(raw)} features land near {where})")
    raise ReadError(msg)


def drawn_area_m2(geom: BaseGeometry) -> float:
    """The area as drawn of a possibly invalid polygon: per part, the exterior ring's shoelace
    area less its holes' (a bow-tie's two lobes cancel), on the WGS84 ellipsoid."""
    total = 0.0
    for part in shapely.get_parts(geom):
        if part.geom_type != "Polygon" or part.is_empty:
            continue
        rings = [part.exterior, *part.interiors]
        areas = [abs(_GEOD.polygon_area_perimeter(*np.asarray(r.coords)[:, :2].T)[0]) for r in rings]
        total += areas[0] - sum(areas[1:])
    return max(total, 0.0)
