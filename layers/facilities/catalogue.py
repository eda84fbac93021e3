"""The seed catalogue of facility types (DOMAIN.md §4) and the one mapping of OpenStreetMap
tags to facility types.

Kept as data: the facilities migration seeds these rows once; administrators edit them in
the admin afterwards (names, colours, thresholds are theirs to set).
"""

from __future__ import annotations

# code, name, life-circle level (minutes), walking threshold (minutes), colour, OSM tags
FACILITY_TYPES: list[tuple[str, str, int, int, str, list[list[str]]]] = [
    ("health_station", "社区卫生服务站", 5, 5, "#e41a1c",
     [["amenity", "clinic"], ["healthcare", "clinic"], ["amenity", "doctors"]]),
    ("health_centre", "社区卫生服务中心/医院", 15, 15, "#b2182b",
     [["amenity", "hospital"], ["healthcare", "hospital"]]),
    ("elderly_daycare", "老年人日间照料中心", 5, 5, "#ff7f00",
     [["social_facility", "day_care"], ["social_facility:for", "senior"]]),
    ("elderly_home", "养老院", 15, 15, "#a65628", [["amenity", "nursing_home"], ["social_facility", "nursing_home"]]),
    ("kindergarten", "幼儿园", 5, 5, "#f781bf", [["amenity", "kindergarten"], ["amenity", "childcare"]]),
    ("primary_school", "小学", 10, 10, "#377eb8", [["amenity", "school"], ["isced:level", "1"]]),
    ("middle_school", "初中", 15, 15, "#253494", [["amenity", "school"], ["isced:level", "2"]]),
    ("market", "菜市场/生鲜超市", 10, 10, "#4daf4a",
     [["amenity", "marketplace"], ["shop", "supermarket"], ["shop", "greengrocer"]]),
    ("fitness_point", "室外综合健身场地", 5, 5, "#66c2a5", [["leisure", "fitness_station"]]),
    ("sports_ground", "多功能运动场地", 10, 10, "#1b9e77", [["leisure", "pitch"], ["leisure", "sports_centre"]]),
    ("service_station", "社区服务站", 5, 5, "#984ea3", [["office", "government"], ["amenity", "townhall"]]),
    ("police", "派出所/警务室", 15, 15, "#08306b", [["amenity", "police"]]),
    ("library", "图书阅览室", 10, 10, "#8c510a", [["amenity", "library"]]),
    ("culture_centre", "文化活动中心", 15, 15, "#c51b7d", [["amenity", "community_centre"], ["amenity", "arts_centre"]]),
    ("park", "公园", 10, 10, "#2ca25f", [["leisure", "park"], ["leisure", "garden"]]),
]


def seed_facility_types(apps, schema_editor=None) -> None:
    """Create the facility types that are missing (existing rows are left as edited)."""
    FacilityType = apps.get_model("facilities", "FacilityType")
    for order, (code, name, level, threshold, color, tags) in enumerate(FACILITY_TYPES):
        FacilityType.objects.get_or_create(
            code=code,
            defaults={"name": name, "level_minutes": level, "threshold_minutes": threshold,
                      "color": color, "osm_tags": tags, "sort_order": order},
        )
