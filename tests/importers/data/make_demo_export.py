"""Regenerate tests/importers/data/demo/: an export of one community of the demo district.

    GRIDMAP_DB_NAME=<a scratch database> .venv/bin/python manage.py load_demo
    GRIDMAP_DB_NAME=<same> .venv/bin/python tests/importers/data/make_demo_export.py

Written with importers.export (export_layer) as a user would: boundaries as GeoJSON and
GeoPackage, then the households (XLSX ledger) and incidents (CSV) of the grids of the demo
grid worker wangge01, unmasked with that user's rights (the demo's people are synthetic),
and the facilities inside the community. Map data © OpenStreetMap contributors, ODbL 1.0.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
OUT = HERE / "demo"
COMMUNITY = "510104001001"
WORKER = "wangge01"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridmap.settings")
    import django

    django.setup()
    import geopandas as gpd
    import shapely
    from django.contrib.auth import get_user_model

    from importers.export import export_layer
    from layers.grids.models import Community

    OUT.mkdir(exist_ok=True)
    community = Community.objects.get(code=COMMUNITY)
    area = shapely.from_wkb(bytes(community.geom.wkb))
    with tempfile.TemporaryDirectory() as tmp:
        for layer, keep, target in (
            ("districts", lambda g: g["区划代码"] == COMMUNITY[:6], "district.geojson"),
            ("streets", lambda g: g["街道编码"] == COMMUNITY[:9], "street.geojson"),
            ("communities", lambda g: g["社区编码"] == COMMUNITY, "community.geojson"),
            ("grids", lambda g: g["所属社区编码"] == COMMUNITY, "grids.gpkg"),
            ("facilities", lambda g: g.geometry.within(area), "facilities.geojson"),
        ):
            export_layer(layer, Path(tmp) / f"{layer}.gpkg")
            gdf = gpd.read_file(Path(tmp) / f"{layer}.gpkg")
            part = gdf[keep(gdf)]
            (OUT / target).unlink(missing_ok=True)
            part.to_file(OUT / target, driver="GPKG" if target.endswith(".gpkg") else "GeoJSON",
                         **({"layer": "网格"} if target.endswith(".gpkg") else {}))
    worker = get_user_model().objects.get(username=WORKER)
    households = export_layer("households", OUT / "households.xlsx", user=worker, unmasked=True)
    incidents = export_layer("incidents", OUT / "incidents.csv", user=worker, unmasked=True)
    print(f"{households.rows} households, {incidents.rows} incidents of {WORKER}'s grids in {OUT}")


if __name__ == "__main__":
    main()
