"""The planner's map for one facility type: facilities and their walking service circles,
coverage per grid, the gap areas and the suggested sites (DOMAIN.md §4 and §6).

Straight-line fallback circles (no network loaded, or a facility far from every street)
are drawn dashed and labelled 直线距离缓冲（未加载路网） / （离路网过远）in the tooltip and
the legend, never passed off as walking areas.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

import folium
from django.conf import settings
from django.db import connection
from psycopg2 import sql

from layers.facilities.models import AccessMethod, FacilityType, SuggestedSite
from layers.facilities.walking import reports
from layers.maps.base import base_map
from layers.maps.escape import GeoJsonTooltip, Tooltip, div_icon, html
from layers.maps.legend import Legend

# Coverage classes (share of households within the threshold) and their colours: a blue
# sequential ramp (ColorBrewer Blues), so that it does not clash with the facility types'
# own colours (reds, oranges, greens) used for the circles.
SHARE_CLASSES: list[tuple[float, str, str]] = [
    (0.2, "#eff3ff", "< 20%"), (0.4, "#bdd7e7", "20–40%"), (0.6, "#6baed6", "40–60%"),
    (0.8, "#3182bd", "60–80%"), (1.01, "#08519c", "≥ 80%"),
]
NO_HOUSEHOLDS = "#d9d9d9"
GAP_COLOUR = "#7b3294"
SITE_COLOUR = "#e7298a"
FRAGMENT_COLOUR = "#8c510a"
# The circle levels (innermost, i.e. 5 minutes, first): hues of the Okabe–Ito palette, safe
# for the common colour-vision deficiencies, each with its own dash pattern and fill strength,
# so that the levels stay apart where circles overlap, in greyscale print, and apart from
# the facility types' colours. (colour, dash pattern ("" solid), fill opacity, name)
CIRCLE_STYLES: list[tuple[str, str, float, str]] = [
    ("#D55E00", "", 0.22, "朱红实线"), ("#E69F00", "10 5", 0.12, "橙色长虚线"), ("#009E73", "2 5", 0.06, "绿色点线"),
]
FALLBACK_COLOUR = "#555555"


def circle_style(rank: int) -> tuple[str, str, float, str]:
    """The style of the ``rank``-th circle level from the inside (more levels than styles reuse the last)."""
    return CIRCLE_STYLES[min(rank, len(CIRCLE_STYLES) - 1)]


def share_colour(share: float | None) -> str:
    if share is None:
        return NO_HOUSEHOLDS
    return next(colour for upper, colour, _ in SHARE_CLASSES if share < upper)


def _features(query: sql.Composable, params: list) -> list[dict]:
    """GeoJSON features from rows (geojson text, properties json) of a query."""
    with connection.cursor() as cur:
        cur.execute(query, params)
        return [{"type": "Feature", "geometry": json.loads(g), "properties": json.loads(p) if isinstance(p, str) else p}
                for g, p in cur.fetchall()]


# Grids g and facilities (or sites) f of district %s (every one when NULL; the code bound twice).
GRID_IN_DISTRICT = sql.SQL("(%s::text IS NULL OR g.community_id IN (SELECT c.id FROM grids_community c"
                           " JOIN grids_street s ON s.id = c.street_id JOIN grids_district d ON d.id = s.district_id"
                           " WHERE d.code = %s))")
POINT_IN_DISTRICT = sql.SQL("(%s::text IS NULL OR ST_Intersects(f.geom, (SELECT geom FROM grids_district WHERE code = %s)))")


def planner_map(facility_type_code: str, *, minutes: Sequence[int] | None = None, show_gaps: bool = True,
                show_sites: bool = True, with_streets: bool = True, embed_streets: bool = False,
                district: str | None = None) -> folium.Map:
    """The planner map of ``facility_type_code`` (a FacilityType code).

    ``minutes`` picks the circles drawn (default settings.GRIDMAP_CIRCLE_MINUTES);
    ``with_streets`` draws base_map's street background (fetched from the app); ``district``
    (a 6-digit code) keeps one district's grids, facilities, circles, gaps and sites."""
    ftype = FacilityType.objects.get(code=facility_type_code)
    minutes = sorted(minutes or settings.GRIDMAP_CIRCLE_MINUTES)
    with connection.cursor() as cur:
        cur.execute(sql.SQL("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(geom) e FROM"
                            " (SELECT g.geom FROM grids_grid g WHERE {grid} UNION ALL SELECT f.geom"
                            " FROM facilities_facility f WHERE f.type_id = %s AND {point}) a) b").format(
                                grid=GRID_IN_DISTRICT, point=POINT_IN_DISTRICT),
                    [district, district, ftype.pk, district, district])
        extent = cur.fetchone()
    m = base_map(bounds=extent if extent and extent[0] is not None else None, with_streets=with_streets,
                 embed_streets=embed_streets)
    _grid_layer(ftype, district).add_to(m)
    completeness = _completeness_layer(district)
    if completeness is not None:
        completeness.add_to(m)
    fallback = _circle_layers(m, ftype, minutes, district)
    _facility_layer(ftype, district).add_to(m)
    if show_gaps:
        _gap_layer(ftype, district).add_to(m)
        cut_off = _fragment_layer(ftype, district)
        if cut_off is not None:
            cut_off.add_to(m)
    if show_sites:
        _site_layer(ftype, district).add_to(m)
    # The same ramp serves the coverage layer and the completeness layer (one shown at a time).
    items = [(colour, f"网格覆盖率/完整率 {label}", "fill") for _, colour, label in SHARE_CLASSES]
    items += [(NO_HOUSEHOLDS, "网格内无住户", "fill")]
    items += [(circle_style(rank)[0], f"{minute}分钟步行服务圈（{circle_style(rank)[3]}）", f"area:{circle_style(rank)[1]}")
              for rank, minute in enumerate(minutes)]
    items += [(FALLBACK_COLOUR, AccessMethod(method).label + "（灰色边线）", "line") for method in fallback]
    items += [(ftype.color, ftype.name, "dot"), (GAP_COLOUR, "覆盖空白区", "fill"), (SITE_COLOUR, "建议选址", "dot")]
    if show_gaps and cut_off is not None:
        items += [(FRAGMENT_COLOUR, "路网不连通的住户（所在路段与主路网断开）", "fill")]
    Legend(f"{ftype.name} · 步行{ftype.threshold_minutes}分钟覆盖", items).add_to(m)
    folium.LayerControl(collapsed=False).add_to(m)
    return m


def _grid_layer(ftype: FacilityType, district: str | None = None) -> folium.GeoJson:
    shares = {r.code: r for r in reports.coverage_rows(level="grid", type_code=ftype.code, district=district)}
    features = _features(sql.SQL("SELECT ST_AsGeoJSON(g.geom, 6), json_build_object('code', g.code, 'name', g.name)"
                                 " FROM grids_grid g WHERE {grid} ORDER BY g.code").format(grid=GRID_IN_DISTRICT),
                         [district, district])
    for f in features:
        row = shares.get(f["properties"]["code"])
        share = row.household_share if row else None
        f["properties"].update({
            "households": row.households if row else 0, "covered": row.covered_households if row else 0,
            "share": "—" if share is None else f"{share:.0%}",
            "focus": "—" if not row or row.focus_share is None else f"{row.focus_share:.0%}",
            "colour": share_colour(share),
        })
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=f"网格覆盖率（{ftype.threshold_minutes}分钟）",
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "fillOpacity": 0.55, "color": "#666666",
                                  "weight": 1},
        tooltip=GeoJsonTooltip(["name", "code", "households", "covered", "share", "focus"],
                                      aliases=["网格", "编码", "户数", "覆盖户数", "户覆盖率", "重点人群覆盖率"])
        if features else None,
    )


def _completeness_layer(district: str | None = None) -> folium.GeoJson | None:
    """Per grid, the share of households complete at the widest life-circle level (every type
    of every level reachable within its minutes), from the worker's last snapshot; hidden until
    chosen in the layer control. None before the first snapshot."""
    from layers.facilities.models import CompletenessSnapshot

    snapshot = CompletenessSnapshot.objects.filter(level="grid").first()
    if snapshot is None or not snapshot.types:
        return None
    top = str(max(int(t["level_minutes"]) for t in snapshot.types))
    by_code = {r["code"]: r for r in snapshot.rows if r["code"]}
    features = _features(sql.SQL("SELECT ST_AsGeoJSON(g.geom, 6), json_build_object('code', g.code, 'name', g.name)"
                                 " FROM grids_grid g WHERE {grid} ORDER BY g.code").format(grid=GRID_IN_DISTRICT),
                         [district, district])
    for f in features:
        row = by_code.get(f["properties"]["code"])
        n = row["households"] if row else 0
        complete = row["complete"].get(top, 0) if row else 0
        share = complete / n if n else None
        f["properties"].update({"households": n, "complete": complete,
                                "share": "—" if share is None else f"{share:.0%}", "colour": share_colour(share)})
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name=f"生活圈完整率（{top}分钟，全部设施类型）", show=False,
        style_function=lambda f: {"fillColor": f["properties"]["colour"], "fillOpacity": 0.6, "color": "#333333",
                                  "weight": 1},
        tooltip=GeoJsonTooltip(["name", "households", "complete", "share"],
                               aliases=["网格", "户数", f"{top}分钟生活圈完整户数", "完整率"]) if features else None,
    )


def _circle_layers(m: folium.Map, ftype: FacilityType, minutes: list[int], district: str | None = None) -> list[str]:
    """One layer per minutes (largest drawn first); returns the fallback methods present."""
    fallback: set[str] = set()
    for rank, minute in sorted(enumerate(minutes), key=lambda x: -x[1]):
        features = _features(
            sql.SQL("""SELECT ST_AsGeoJSON(c.geom, 6), json_build_object(
                   'facility', f.name, 'minutes', c.minutes, 'method', c.method,
                   'snap', COALESCE(round(c.snap_distance_m::numeric, 0)::text || ' m', '—'),
                   'area', round((c.area_m2 / 10000)::numeric, 1)::text || ' 公顷')
                 FROM facilities_facilitycircle c JOIN facilities_facility f ON f.id = c.facility_id
                WHERE f.type_id = %s AND c.minutes = %s AND {point} ORDER BY f.id""").format(point=POINT_IN_DISTRICT),
            [ftype.pk, minute, district, district])
        for f in features:
            method = f["properties"]["method"]
            f["properties"]["label"] = AccessMethod(method).label
            if method != AccessMethod.NETWORK:
                fallback.add(method)
        colour, dash, opacity, _ = circle_style(rank)
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features}, name=f"{minute}分钟服务圈",
            style_function=lambda f, o=opacity, c=colour, d=dash: {
                "fillColor": c, "fillOpacity": o,
                "color": c if f["properties"]["method"] == "network" else FALLBACK_COLOUR,
                "weight": 2.5, "opacity": 0.95, "dashArray": d or None},
            # folium refuses tooltip fields on an empty layer (a type with no facility yet).
            tooltip=GeoJsonTooltip(["facility", "minutes", "label", "snap", "area"],
                                          aliases=["设施", "分钟", "计算方法", "到路网距离", "面积"]) if features else None,
        ).add_to(m)
    return sorted(fallback)


def _facility_layer(ftype: FacilityType, district: str | None = None) -> folium.FeatureGroup:
    group = folium.FeatureGroup(name=ftype.name)
    with connection.cursor() as cur:
        cur.execute(sql.SQL("SELECT f.name, ST_Y(f.geom), ST_X(f.geom), f.synthetic FROM facilities_facility f"
                            " WHERE f.type_id = %s AND {point} ORDER BY f.id").format(point=POINT_IN_DISTRICT),
                    [ftype.pk, district, district])
        for name, lat, lon, synthetic in cur.fetchall():
            folium.CircleMarker([lat, lon], radius=6, color="#ffffff", weight=2, fill=True, fill_color=ftype.color,
                                fill_opacity=1.0,
                                tooltip=Tooltip(f"{name}{'（合成数据）' if synthetic else ''}")).add_to(group)
    return group


def _cached_gap_areas(ftype: FacilityType, district: str | None = None) -> list:
    """Gap areas are the slow part of the map (seconds for 100,000 households): keep them
    until something coverage reads is written (reports.coverage_data_version: households,
    walking times, types, grid levels). Counting the walking times for a key instead took
    6 s a page at 10 million households."""
    from django.core.cache import cache

    # The version is read first: a write while the areas are computed draws a new one, and
    # these areas are then never served for it.
    state = (f"{ftype.code}:{district}:{settings.GRIDMAP_GAP_BUFFER_M}:"
             f"{settings.GRIDMAP_COVERAGE_FOCUS_TAGS.get(ftype.code)}:v{reports.coverage_data_version()}")
    # A digest keeps the key short and free of spaces for every cache backend.
    key = "gridmap:gaps:" + hashlib.sha256(state.encode()).hexdigest()[:32]
    areas = cache.get(key)
    if areas is None:
        areas = reports.gap_areas(ftype.code, district=district)
        cache.set(key, areas, timeout=24 * 3600)
    return areas


def _gap_layer(ftype: FacilityType, district: str | None = None) -> folium.GeoJson:
    features = [{"type": "Feature", "geometry": json.loads(_geojson(a.geom)),
                 "properties": {"households": a.households, "residents": a.residents, "focus": a.focus_households}}
                for a in _cached_gap_areas(ftype, district)]
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name="覆盖空白区",
        style_function=lambda f: {"fillColor": GAP_COLOUR, "fillOpacity": 0.2, "color": GAP_COLOUR, "weight": 1.5,
                                  "dashArray": "3 3"},
        tooltip=GeoJsonTooltip(["households", "residents", "focus"], aliases=["未覆盖户数", "人口", "重点人群户"])
        if features else None,
    )


def _fragment_layer(ftype: FacilityType, district: str | None = None) -> folium.GeoJson | None:
    """Households on cut-off network fragments (路网不连通): neither covered nor a gap."""
    features = [{"type": "Feature", "geometry": json.loads(_geojson(a.geom)),
                 "properties": {"households": a.households, "residents": a.residents}}
                for a in reports.fragment_areas(ftype.code, district=district)]
    if not features:
        return None
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features}, name="路网不连通的住户",
        style_function=lambda f: {"fillColor": FRAGMENT_COLOUR, "fillOpacity": 0.3, "color": FRAGMENT_COLOUR,
                                  "weight": 1.5, "dashArray": "2 4"},
        tooltip=GeoJsonTooltip(["households", "residents"], aliases=["路网不连通户数", "人口"]),
    )


def _geojson(geom) -> str:
    import shapely

    return shapely.to_geojson(shapely.set_precision(geom, 1e-6))


def _site_layer(ftype: FacilityType, district: str | None = None) -> folium.FeatureGroup:
    from layers.accounts.visibility import in_district

    group = folium.FeatureGroup(name="建议选址")
    for site in in_district(SuggestedSite.objects.filter(facility_type=ftype), district).order_by("rank"):
        label = html('<div style="background:{};color:#fff;border-radius:50%;width:22px;height:22px;'
                     'line-height:22px;text-align:center;font:bold 12px sans-serif;border:2px solid #fff">{}</div>',
                     SITE_COLOUR, site.rank)
        folium.Marker(
            [site.geom.y, site.geom.x], icon=div_icon(label, icon_size=(22, 22), icon_anchor=(11, 11)),
            tooltip=Tooltip(f"建议选址 {site.rank}：{site.place or site.label}，新覆盖 {site.newly_covered_households} 户 / "
                            f"{site.newly_covered_residents} 人" + (f"（候选地块 {site.label}）" if site.label else "")),
        ).add_to(group)
    return group
