"""Hot-spot results as JSON: one record per cell, and a GeoJSON FeatureCollection in WGS84
(read by the API, the ``hotspots`` command and the patrol map)."""

from __future__ import annotations

import json
import math
from typing import Any

from layers.patrols.hotspots import EmergingAnalysis, HotspotResult


def clean(value: Any) -> Any:
    """JSON-safe value: NaN → None, numpy scalars → Python."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def cell_records(result: HotspotResult, emerging: EmergingAnalysis | None = None) -> list[dict[str, Any]]:
    """One JSON-ready dict per cell (row order of the result)."""
    cells = result.cells
    columns = ["cell_id", "name", "community", "count", "area_m2", "gi_z", "gi_p_sim", "gi_class", "gi_label",
               "gi_note"]
    if result.kind == "hex":
        columns += ["q", "r"]
    records = []
    for i, row in enumerate(cells[columns].itertuples(index=False)):
        record = {k: clean(v) for k, v in zip(columns, row, strict=True)}
        record["area_m2"] = round(record["area_m2"], 1)
        for key in ("gi_z", "gi_p_sim"):
            record[key] = None if record[key] is None else round(record[key], 4)
        if emerging is not None:
            record["emerging"] = str(emerging.cells["category"].iloc[i])
            record["emerging_zh"] = str(emerging.cells["category_zh"].iloc[i])
        records.append(record)
    return records


def geojson(result: HotspotResult, emerging: EmergingAnalysis | None = None) -> dict[str, Any]:
    """FeatureCollection in WGS84 of the cells with the properties of ``cell_records``."""
    shapes = json.loads(result.cells[[result.cells.geometry.name]].to_crs(4326).to_json(drop_id=True))
    features = [
        {"type": "Feature", "properties": record, "geometry": shape["geometry"]}
        for record, shape in zip(cell_records(result, emerging), shapes["features"], strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}
