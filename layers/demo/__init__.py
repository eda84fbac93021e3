"""The demo district: a seeded, reproducible generator built from a real OpenStreetMap extract.

    layers.demo.osm        read the OSM file into GeoDataFrames (roads, water, green, POIs, ...)
    layers.demo.faces      faces of the street network, merged and split into regions
    layers.demo.districts  the demo district, its streets (街道), communities (社区) and grids (网格)
    layers.demo.land       habitable land, residential buildings and their door numbers
    layers.demo.people     synthetic households (names, ID numbers, phones, tags, rooms)
    layers.demo.facilities facilities: real OSM points of interest plus synthetic ones
    layers.demo.incidents  synthetic incidents with their lifecycle transitions
    layers.demo.build      everything above from a seed (``manage.py build_demo``)
    layers.demo.fixture    the fixture files (fixtures/demo) written and read
    layers.demo.loader     the fixture into the database (``manage.py load_demo``)
    layers.demo.accounts   demo users, groups, grid assignments and the logins file

Real data: road network, water, parks, points of interest (© OpenStreetMap contributors,
ODbL 1.0). Everything else is generated from a seed and carries ``synthetic=True``; see
fixtures/README.md.
"""

from __future__ import annotations

DEFAULT_SEED = 20261122
# 成都市锦江区 (GB/T 2260); the demo extent is not its official boundary.
DISTRICT_CODE = "510104"
# Geometry work happens in metres in UTM 48N (it covers Chengdu).
METRIC_CRS = "EPSG:32648"
WGS84_CRS = "EPSG:4326"
# Incident timestamps in the fixture end on this day; load_demo shifts them to today.
ANCHOR_DATE = "2026-11-22"
ODBL_ATTRIBUTION = "Map data © OpenStreetMap contributors, ODbL 1.0"
