"""The small map of one case (事件详情): its grid, the case's point coloured by status, the
linked duplicate reports and other cases merged into it. Every label goes through
layers.maps.escape (descriptions and addresses are typed by users)."""

from __future__ import annotations

import json
from collections.abc import Iterable

import folium
from django.utils import timezone

from layers.incidents.models import Incident, IncidentReport
from layers.maps.base import base_map
from layers.maps.escape import Tooltip, html
from layers.maps.worker import STATUS_COLOURS

CLOSED_COLOUR, REPORT_COLOUR, GRID_COLOUR = "#4d4d4d", "#1b9e77", "#7f0000"
# Half the side of the box the map opens on around the case (degrees; display only, about 200 m).
VIEW_HALF_DEG = 0.0018


def incident_map(incident: Incident, reports: Iterable[IncidentReport], merged: Iterable[Incident]) -> folium.Map:
    """A map centred on ``incident`` (a few hundred metres around it)."""
    x, y = incident.geom.x, incident.geom.y
    m = base_map(bounds=(x - VIEW_HALF_DEG, y - VIEW_HALF_DEG, x + VIEW_HALF_DEG, y + VIEW_HALF_DEG))
    if incident.grid is not None:
        folium.GeoJson({"type": "Feature", "geometry": json.loads(incident.grid.geom.geojson), "properties": {}},
                       name="所属网格", interactive=False,
                       style_function=lambda f: {"color": GRID_COLOUR, "weight": 2, "fillOpacity": 0.05}).add_to(m)
    for r in reports:
        folium.CircleMarker(
            [r.geom.y, r.geom.x], radius=6, color=REPORT_COLOUR, fill=True, fill_opacity=0.8, weight=2,
            tooltip=Tooltip(html("重复上报 · {} · {}<br>{}", r.reporter_name or "—",
                                 f"{timezone.localtime(r.reported_at):%m-%d %H:%M}", r.description[:60])),
        ).add_to(m)
    for d in merged:
        folium.CircleMarker(
            [d.geom.y, d.geom.x], radius=6, color=CLOSED_COLOUR, fill=True, fill_opacity=0.6, weight=2,
            tooltip=Tooltip(html("已合并事件 {} · {}<br>{}", d.pk, d.get_status_display(), d.description[:60])),
        ).add_to(m)
    colour = STATUS_COLOURS.get(incident.status, CLOSED_COLOUR)
    folium.CircleMarker(
        [y, x], radius=10, color="#ffffff", fill=True, fill_color=colour, fill_opacity=1, weight=3,
        tooltip=Tooltip(html("<b>{}</b> · {}<br>{}", incident.category.name, incident.get_status_display(),
                             incident.address or incident.description[:60])),
    ).add_to(m)
    # No legend control: on a phone it would cover most of this small map; the page says
    # under the map what the marks are (LEGEND_TEXT).
    return m


LEGEND_TEXT = "大圆点：本事件（颜色表示状态）；绿色圆点：重复上报位置；灰色圆点：已合并的事件；深红线：所属网格"
