"""The grid worker's map (我的网格): assigned grids, priority households (their own layer,
each one drawn, never clustered), the other households clustered in grey bubbles, open
incidents as diamonds coloured by status with the time left before the limit.

Colours keep apart: statuses take red, orange, yellow, purple and blue; priority households
green rings; other households and their cluster bubbles grey."""

from __future__ import annotations

import json
from collections.abc import Iterable

import folium
from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.db.models import Count
from django.utils import timezone

from layers.grids.models import Grid
from layers.incidents import lifecycle
from layers.incidents.limits import stage_clock
from layers.incidents.models import Incident, IncidentStatus
from layers.maps.base import base_map
from layers.maps.escape import GeoJsonTooltip
from layers.maps.lazy import ClusteredPoints, LazyGeoJson, point_feature
from layers.maps.legend import Legend
from layers.maps.phone import LocateControl, PhoneLayout
from layers.people.masking import mask_name
from layers.people.models import Household, HouseholdTag

STATUS_COLOURS = {
    IncidentStatus.REPORTED: "#e31a1c",
    IncidentStatus.ACCEPTED: "#fd8d3c",
    IncidentStatus.DISPATCHED: "#feb24c",
    IncidentStatus.HANDLING: "#6a51a3",
    IncidentStatus.FEEDBACK: "#2171b5",
}
# Neither may look like a status colour (tests/maps check the distance between them).
VULNERABLE_COLOUR, OTHER_COLOUR = "#1b7837", "#737373"


def countdown_text(incident: Incident, *, now=None) -> str:
    """The running stage's clock, '派遣 剩余 12 分钟' / '处置 已超时 3 小时' (layers.incidents.limits);
    '' when no stage runs."""
    clock = stage_clock(incident, now=now)
    return clock.text if clock else ""


def worker_map(grids: Iterable[Grid], households, incidents,
               *, link_prefix: str = "", max_embedded: int | None = None,
               embed_streets: bool = False) -> folium.Map:
    """Build the map from already-scoped querysets (layers.accounts.visibility); above
    ``max_embedded`` points (default settings.GRIDMAP_MAX_EMBEDDED_HOUSEHOLDS) the
    households and incidents load by bounding box."""
    if max_embedded is None:
        max_embedded = settings.GRIDMAP_MAX_EMBEDDED_HOUSEHOLDS
    grid_ids = [g.id for g in grids]
    held = Grid.objects.filter(id__in=grid_ids)
    n_households, n_open = _counts_by_grid(grid_ids)
    m = base_map(bounds=held.aggregate(e=Extent("geom"))["e"], embed_streets=embed_streets)
    folium.GeoJson(
        {"type": "FeatureCollection", "features": [
            {"type": "Feature", "geometry": json.loads(g.geom.geojson),
             "properties": {"name": g.name, "code": g.code, "households": n_households.get(g.id, 0),
                            "open": n_open.get(g.id, 0)}}
            for g in held.only("id", "name", "code", "geom")]},
        name="我的网格",
        style_function=lambda f: {"color": "#7f0000", "weight": 2, "fillColor": "#fee8c8", "fillOpacity": 0.3},
        tooltip=GeoJsonTooltip(["name", "code", "households", "open"], aliases=["网格", "编码", "户数", "未结事件"]),
    ).add_to(m)

    if households.count() > max_embedded:
        _household_layers_by_bbox(m)
    else:
        _household_layers_embedded(m, households, link_prefix)
    if incidents.count() > max_embedded:
        LazyGeoJson("/api/incidents/?page_size=5000&status=" + ",".join(sorted(lifecycle.OPEN_STATUSES)),
                    name="未结事件（放大后加载）", by_bbox=True, min_zoom=16,
                    style={"radius": 5, "color": STATUS_COLOURS[IncidentStatus.REPORTED], "weight": 2},
                    tooltip={"category_name": "类别", "status_label": "状态"}).add_to(m)
    else:
        _incident_layer(m, incidents, link_prefix)
    Legend("图例", [
        ("#7f0000", "网格边界", "line"),
        (VULNERABLE_COLOUR, "重点户 (" + "、".join(sorted(HouseholdTag.vulnerable())) + ")", "ring"),
        (OTHER_COLOUR, "其他户（灰色圆圈内数字为户数）", "dot"),
        *[(c, f"事件：{IncidentStatus(s).label}", "fill") for s, c in STATUS_COLOURS.items()],
    ]).add_to(m)
    LocateControl().add_to(m)
    control = folium.LayerControl(collapsed=False).add_to(m)
    PhoneLayout(control).add_to(m)
    return m


def _counts_by_grid(grid_ids: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    """Households and open cases per grid, each a count grouped by grid. One query joining grids
    to both multiplied every grid's households by its cases before counting them apart again:
    1.25 s for an office holding the demo district's every grid, most of its map's time."""
    def per_grid(rows) -> dict[int, int]:
        return dict(rows.values_list("grid_id").annotate(n=Count("pk")).order_by())

    return (per_grid(Household.objects.filter(grid_id__in=grid_ids)),
            per_grid(Incident.objects.filter(grid_id__in=grid_ids, status__in=lifecycle.OPEN_STATUSES)))


def _household_layers_by_bbox(m: folium.Map) -> None:
    LazyGeoJson("/api/households/?page_size=5000", name="户（放大到街区后加载）", by_bbox=True, min_zoom=17,
                style={"radius": 3, "color": OTHER_COLOUR, "weight": 1, "fillOpacity": 0.8},
                tooltip={"address": "地址", "tags": "标签"}).add_to(m)


def _household_layers_embedded(m: folium.Map, households, link_prefix: str) -> None:
    """Priority households as their own layer of green rings, each drawn (never hidden in a
    cluster); the others clustered in grey bubbles. Names masked."""
    layers: dict[bool, list[dict]] = {True: [], False: []}
    for h in households.only("id", "geom", "head_name", "address", "residents", "tags", "last_visit"):
        vulnerable = bool(h.vulnerable_tags)
        layers[vulnerable].append(point_feature(h.geom.x, h.geom.y, {
            "id": h.pk, "n": mask_name(h.head_name), "a": h.address, "r": h.residents,
            "t": "、".join(h.tags) or "无", "v": str(h.last_visit or "无记录")}))
    popup = (f"<b>{{n}}</b> {{a}}<br>人口 {{r}}<br>标签：{{t}}<br>最近走访：{{v}}"
             f'<br><a href="{link_prefix}/households/{{id}}/" target="_top">详情</a>')
    ClusteredPoints(layers[False], name="其他户", popup_template=popup, colour=OTHER_COLOUR).add_to(m)
    # Added last: drawn above the grey bubbles.
    ClusteredPoints(layers[True], name="重点户（困难/独居/残疾/高龄）", popup_template=popup,
                    colour=VULNERABLE_COLOUR, clustered=False, icon_class="gm-priority").add_to(m)


def _incident_layer(m: folium.Map, incidents: Iterable[Incident], link_prefix: str) -> None:
    """Open cases as one layer of diamonds in their status's colour, every one drawn. One
    element for the layer, its popups and tooltips filled in the browser from the escaped
    properties (layers.maps.lazy.ClusteredPoints): a folium marker per case cost about 2 ms
    each, 0.8 s for an office's 400 open cases."""
    now = timezone.now()
    features = []
    for i in incidents:
        features.append(point_feature(i.geom.x, i.geom.y, {
            "id": i.pk, "c": i.category.name, "s": i.get_status_display(),
            "d": i.description[:80], "at": f"{timezone.localtime(i.reported_at):%Y-%m-%d %H:%M}",
            "left": countdown_text(i, now=now), "colour": STATUS_COLOURS.get(i.status, "#666666")}))
    popup = (f"<b>{{c}}</b> · {{s}}<br>{{d}}<br>上报 {{at}}<br>{{left}}"
             f'<br><a href="{link_prefix}/incidents/{{id}}/" target="_top">处理</a>')
    # A diamond drawn in CSS (.gm-incident, layers.maps.legend): a distinct shape from the household dots.
    ClusteredPoints(features, name="未结事件", popup_template=popup, tooltip_template="{c} · {s} · {left}",
                    clustered=False, shape_class="gm-incident", popup_width=280).add_to(m)
