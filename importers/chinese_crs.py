"""Chinese map coordinate systems: GCJ-02 (Amap/Gaode, Tencent) and BD-09 (Baidu).

All functions take longitude first, in decimal degrees, and accept scalars or numpy
arrays (broadcast together); they return float64 arrays of the broadcast shape, or numpy
float64 scalars when both inputs are scalars. Inputs are never modified. NaN stays NaN.

GCJ-02 is WGS84 plus a smooth, position-dependent offset of a few hundred metres. The
offset is computed with the formula that circulates as "eviltransform" / "coordtransform"
on the Krasovsky ellipsoid (``a = 6378245.0`` m, ``ee = 0.00669342162296594323``).
The published formula has no closed-form inverse, so GCJ-02 → WGS84 is a fixed-point
iteration that converges to well under a millimetre.

Out-of-China rule: GCJ-02 leaves a point unchanged when its longitude is outside
72.004–137.8347 °E or its latitude outside 0.8293–55.8271 °N (the rough rectangle used by
eviltransform and coordtransform; it includes parts of neighbouring countries, which is
harmless for city work). The rule is applied to the input of each conversion: to the WGS84
point going forward and to the GCJ-02 point going back.

BD-09 is GCJ-02 plus a further rotation-and-shift (``x_pi = π·3000/180``). Like
coordtransform, the BD-09 step is applied everywhere, without the China rectangle. Its
usual closed-form inverse is only approximate (errors of about a metre), so it is refined
by the same fixed-point iteration.

The WGS84 / CGCS2000 (EPSG:4490) difference is a few centimetres: it is ignored, as PROJ
does (null transformation), which is right for city work.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import numpy.typing as npt
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

FloatArray = npt.NDArray[np.float64]
XYFunc = Callable[[FloatArray, FloatArray], tuple[FloatArray, FloatArray]]

KRASOVSKY_A_M = 6378245.0
"""Semi-major axis (metres) of the Krasovsky 1940 ellipsoid used by the GCJ-02 formula."""
KRASOVSKY_EE = 0.00669342162296594323
"""First eccentricity squared of the Krasovsky 1940 ellipsoid (dimensionless)."""
X_PI = math.pi * 3000.0 / 180.0
"""Angular frequency (radians per degree) of the BD-09 perturbation terms."""
CHINA_BBOX = (72.004, 0.8293, 137.8347, 55.8271)
"""(lon_min, lat_min, lon_max, lat_max) in degrees: outside it GCJ-02 equals WGS84."""
INVERSE_TOL_DEG = 1e-9
"""Stop iterating an inverse when no coordinate moves by this much (degrees, ~0.1 mm)."""
INVERSE_MAX_ITER = 30
"""Upper bound on inverse iterations; convergence normally takes 3 to 5."""

_BD_DX_DEG = 0.0065
_BD_DY_DEG = 0.006


class UnknownCrsError(ValueError):
    """A coordinate-system option that is neither GCJ-02, BD-09 nor known to PROJ."""


def _as_float_arrays(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Broadcast ``lon`` and ``lat`` to new float64 arrays (copies, inputs stay untouched)."""
    lon_a, lat_a = np.broadcast_arrays(np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64))
    return lon_a.copy(), lat_a.copy()


def _result(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Return float64 arrays, unwrapping 0-d arrays to numpy scalars."""
    return np.asarray(lon, dtype=np.float64)[()], np.asarray(lat, dtype=np.float64)[()]


def out_of_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Boolean array, True where the point (degrees) lies outside :data:`CHINA_BBOX`; False for NaN."""
    lon_a, lat_a = _as_float_arrays(lon, lat)
    lon_min, lat_min, lon_max, lat_max = CHINA_BBOX
    return (lon_a < lon_min) | (lon_a > lon_max) | (lat_a < lat_min) | (lat_a > lat_max)


def _offset_lat(x: FloatArray, y: FloatArray) -> FloatArray:
    """Latitude term of the GCJ-02 offset, in formula units (metres on the Krasovsky sphere)."""
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _offset_lon(x: FloatArray, y: FloatArray) -> FloatArray:
    """Longitude term of the GCJ-02 offset, in formula units (metres on the Krasovsky sphere)."""
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _gcj02_delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 minus WGS84 at a WGS84 point, in degrees (dlon, dlat), ignoring the China rule."""
    x, y = lon - 105.0, lat - 35.0
    rad_lat = np.radians(lat)
    magic = 1.0 - KRASOVSKY_EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    # Metres → degrees on the ellipsoid: meridian radius for latitude, parallel radius for longitude.
    dlat = _offset_lat(x, y) * 180.0 / ((KRASOVSKY_A_M * (1.0 - KRASOVSKY_EE)) / (magic * sqrt_magic) * np.pi)
    dlon = _offset_lon(x, y) * 180.0 / (KRASOVSKY_A_M / sqrt_magic * np.cos(rad_lat) * np.pi)
    return dlon, dlat


def _wgs84_to_gcj02_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Apply the GCJ-02 offset everywhere (no China rule)."""
    dlon, dlat = _gcj02_delta(lon, lat)
    return lon + dlon, lat + dlat


def _invert(
    forward: XYFunc,
    target_lon: FloatArray,
    target_lat: FloatArray,
    start: tuple[FloatArray, FloatArray],
    *,
    tol_deg: float,
    max_iter: int,
) -> tuple[FloatArray, FloatArray]:
    """Solve ``forward(lon, lat) == target`` by fixed-point iteration from ``start``.

    Each step adds the remaining error: ``p += target - forward(p)``. This converges because
    the offsets change by only about 1e-3 degrees per degree, i.e. the map is a contraction.
    Stops when no coordinate moves by ``tol_deg`` degrees, or after ``max_iter`` steps.
    """
    lon, lat = start[0].copy(), start[1].copy()
    for _ in range(max_iter):
        f_lon, f_lat = forward(lon, lat)
        step_lon, step_lat = target_lon - f_lon, target_lat - f_lat
        lon += step_lon
        lat += step_lat
        # NaN compares False, so rows with NaN do not keep the loop running.
        if not (np.any(np.abs(step_lon) >= tol_deg) or np.any(np.abs(step_lat) >= tol_deg)):
            break
    return lon, lat


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 → GCJ-02 (degrees). Points outside :data:`CHINA_BBOX` are returned unchanged."""
    lon_a, lat_a = _as_float_arrays(lon, lat)
    inside = ~out_of_china(lon_a, lat_a)
    g_lon, g_lat = _wgs84_to_gcj02_raw(lon_a[inside], lat_a[inside])
    lon_a[inside], lat_a[inside] = g_lon, g_lat
    return _result(lon_a, lat_a)


def gcj02_to_wgs84(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    tol_deg: float = INVERSE_TOL_DEG,
    max_iter: int = INVERSE_MAX_ITER,
) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → WGS84 (degrees), the iterative inverse of :func:`wgs84_to_gcj02`.

    Starts from the common one-step approximation (``gcj - delta(gcj)``, off by 1–2 m) and
    iterates until no coordinate changes by ``tol_deg`` degrees (default 1e-9, ~0.1 mm)
    or ``max_iter`` steps. GCJ-02 points outside :data:`CHINA_BBOX` are returned unchanged.
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    inside = ~out_of_china(lon_a, lat_a)
    t_lon, t_lat = lon_a[inside], lat_a[inside]
    w_lon, w_lat = _invert(
        _wgs84_to_gcj02_raw, t_lon, t_lat, (t_lon, t_lat), tol_deg=tol_deg, max_iter=max_iter
    )
    lon_a[inside], lat_a[inside] = w_lon, w_lat
    return _result(lon_a, lat_a)


def _gcj02_to_bd09_raw(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The published GCJ-02 → BD-09 formula (degrees)."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * X_PI)
    return z * np.cos(theta) + _BD_DX_DEG, z * np.sin(theta) + _BD_DY_DEG


def _bd09_to_gcj02_approx(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The published closed-form BD-09 → GCJ-02 formula (degrees); about a metre off."""
    x, y = lon - _BD_DX_DEG, lat - _BD_DY_DEG
    z = np.hypot(x, y) - 0.00002 * np.sin(y * X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * X_PI)
    return z * np.cos(theta), z * np.sin(theta)


def gcj02_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """GCJ-02 → BD-09 (degrees), applied everywhere."""
    return _result(*_gcj02_to_bd09_raw(*_as_float_arrays(lon, lat)))


def bd09_to_gcj02(
    lon: npt.ArrayLike,
    lat: npt.ArrayLike,
    *,
    tol_deg: float = INVERSE_TOL_DEG,
    max_iter: int = INVERSE_MAX_ITER,
) -> tuple[FloatArray, FloatArray]:
    """BD-09 → GCJ-02 (degrees): the closed-form formula refined into an exact inverse.

    The refinement stops when no coordinate changes by ``tol_deg`` degrees or after
    ``max_iter`` steps, so ``gcj02_to_bd09(*bd09_to_gcj02(p))`` returns ``p``.
    """
    lon_a, lat_a = _as_float_arrays(lon, lat)
    start = _bd09_to_gcj02_approx(lon_a, lat_a)
    return _result(*_invert(_gcj02_to_bd09_raw, lon_a, lat_a, start, tol_deg=tol_deg, max_iter=max_iter))


def wgs84_to_bd09(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """WGS84 → BD-09 (degrees): :func:`wgs84_to_gcj02` then :func:`gcj02_to_bd09`."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """BD-09 → WGS84 (degrees): :func:`bd09_to_gcj02` then :func:`gcj02_to_wgs84`."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


# --- the --crs option -------------------------------------------------------------------

CrsKind = Literal["gcj02", "bd09", "pyproj"]


@dataclass(frozen=True)
class CrsSpec:
    """A parsed coordinate-system option.

    Attributes:
        kind: ``"gcj02"`` or ``"bd09"`` for the Chinese offset systems (degrees), or
            ``"pyproj"`` for anything PROJ knows.
        srs: for ``"pyproj"``, a string PROJ accepts (``"EPSG:4523"`` when the CRS has an
            EPSG code); None otherwise.
        name: a human-readable name for messages, e.g. ``"GCJ-02 (Amap/Gaode, Tencent)"``.
        is_geographic: True when coordinates are lon/lat degrees, False for metres.
    """

    kind: CrsKind
    srs: str | None
    name: str
    is_geographic: bool


GCJ02 = CrsSpec("gcj02", None, "GCJ-02 (Amap/Gaode, Tencent)", True)
BD09 = CrsSpec("bd09", None, "BD-09 (Baidu)", True)

_OFFSET_ALIASES: dict[str, CrsSpec] = {
    **dict.fromkeys(("gcj02", "gcj-02", "gcj", "mars", "火星", "火星坐标", "amap", "gaode", "高德"), GCJ02),
    **dict.fromkeys(("tencent", "qq", "腾讯"), GCJ02),
    **dict.fromkeys(("bd09", "bd-09", "bd09ll", "baidu", "百度"), BD09),
}
_PYPROJ_ALIASES: dict[str, str] = {
    **dict.fromkeys(("wgs84", "wgs-84", "wgs 84", "gps"), "EPSG:4326"),
    **dict.fromkeys(("cgcs2000", "cgcs", "国家2000", "2000国家大地坐标系"), "EPSG:4490"),
    **dict.fromkeys(("webmercator", "web mercator", "pseudo-mercator"), "EPSG:3857"),
}
_UNSUPPORTED: dict[str, str] = {
    "bd09mc": "BD-09 Mercator (Baidu metres) is not supported; export Baidu lon/lat and use bd09",
}
ACCEPTED_CRS_HELP = (
    "gcj02 (Amap/Gaode, Tencent), bd09 (Baidu), wgs84 (EPSG:4326), cgcs2000 (EPSG:4490), "
    "an EPSG code such as EPSG:4523 (CGCS2000 3-degree Gauss-Kruger zones are EPSG:4513-4554) "
    "or EPSG:3857, or any other definition PROJ understands"
)


def _bad_crs(option: str, text: str, reason: str) -> UnknownCrsError:
    msg = f"{option}: {reason} {text!r}; accepted values: {ACCEPTED_CRS_HELP}"
    return UnknownCrsError(msg)


def parse_crs_option(text: str, *, option: str = "--crs") -> CrsSpec:
    """Parse a coordinate-system option value (case- and width-insensitive).

    Accepts the names in :data:`ACCEPTED_CRS_HELP`, bare EPSG numbers (``"4523"``) and any
    2D geographic or projected CRS PROJ understands. Raises :class:`UnknownCrsError`,
    naming ``option`` and the accepted values, for anything else.
    """
    key = _normalise_crs_text(text)
    if key in _OFFSET_ALIASES:
        return _OFFSET_ALIASES[key]
    if key in _UNSUPPORTED:
        raise _bad_crs(option, text, _UNSUPPORTED[key] + ", got")
    # PROJ gets the NFKC text (full-width 'ＥＰＳＧ：４５２３' works) with its case intact.
    nfkc = unicodedata.normalize("NFKC", text).strip()
    user_input = _PYPROJ_ALIASES.get(key) or (f"EPSG:{key}" if key.isdigit() else nfkc)
    if not user_input:
        raise _bad_crs(option, text, "empty coordinate system")
    try:
        crs = CRS.from_user_input(user_input)
    except CRSError as e:
        raise _bad_crs(option, text, "unknown coordinate system") from e
    if not (crs.is_geographic or crs.is_projected) or crs.is_geocentric:
        raise _bad_crs(option, text, "not a horizontal geographic or projected coordinate system:")
    return CrsSpec("pyproj", crs.to_string(), crs.name, bool(crs.is_geographic))


def _normalise_crs_text(text: str) -> str:
    """Lower-case, NFKC (full-width → ASCII) and strip, so 'ＧＣＪ０２ ' matches 'gcj02'."""
    return unicodedata.normalize("NFKC", text).strip().casefold()


@lru_cache(maxsize=32)
def _transformer_to_wgs84(srs: str) -> Transformer:
    """A cached lon/lat-ordered transformer from ``srs`` to EPSG:4326."""
    return Transformer.from_crs(srs, "EPSG:4326", always_xy=True)


def to_wgs84(x: npt.ArrayLike, y: npt.ArrayLike, crs: str | CrsSpec) -> tuple[FloatArray, FloatArray]:
    """Convert coordinates in ``crs`` to WGS84 (lon, lat) in degrees.

    ``x``/``y`` are easting/northing in the CRS units (lon/lat degrees for geographic CRSs,
    metres for Gauss-Krüger or Web Mercator), always in that order whatever the CRS axis
    order says. ``crs`` is a :class:`CrsSpec` or any string :func:`parse_crs_option` accepts.
    Points PROJ cannot transform come back as inf or NaN.
    """
    spec = crs if isinstance(crs, CrsSpec) else parse_crs_option(crs)
    if spec.kind == "gcj02":
        return gcj02_to_wgs84(x, y)
    if spec.kind == "bd09":
        return bd09_to_wgs84(x, y)
    if spec.srs is None:
        msg = f"CrsSpec {spec.name!r} of kind 'pyproj' has no srs"
        raise UnknownCrsError(msg)
    x_a, y_a = _as_float_arrays(x, y)
    lon, lat = _transformer_to_wgs84(spec.srs).transform(x_a, y_a)
    return _result(lon, lat)
