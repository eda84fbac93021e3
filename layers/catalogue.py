"""The seed catalogue of facility types and incident categories (DOMAIN.md §3–4).

Kept as data: the migration 0003 seeds these rows once; administrators edit them in the
admin afterwards (names, colours, thresholds, time limits are theirs to set).
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

# code, name, colour, time limit from dispatch (hours), system. The standards leave the
# time limits to each city: these are starting values for the administrator to adjust.
INCIDENT_CATEGORIES: list[tuple[str, str, str, int, str]] = [
    ("city_appearance", "市容环境", "#8dd3c7", 24, "数字城管"),
    ("advertising", "宣传广告", "#bebada", 48, "数字城管"),
    ("construction", "施工管理", "#fb8072", 72, "数字城管"),
    ("street_order", "街面秩序", "#80b1d3", 4, "数字城管"),
    ("emergency", "突发事件", "#e31a1c", 2, "数字城管"),
    ("other_city", "扩展事项", "#b3de69", 72, "数字城管"),
    ("dispute", "矛盾纠纷", "#fdb462", 72, "社会治理"),
    ("security_risk", "治安隐患", "#d95f02", 24, "社会治理"),
    ("work_safety", "安全生产", "#7570b3", 24, "社会治理"),
    ("fire_risk", "消防隐患", "#a50f15", 12, "社会治理"),
    ("livelihood", "民生诉求", "#fccde5", 120, "社会治理"),
]


def seed(apps, schema_editor=None) -> None:
    """Create the catalogue rows that are missing (existing rows are left as edited)."""
    FacilityType = apps.get_model("layers", "FacilityType")
    IncidentCategory = apps.get_model("layers", "IncidentCategory")
    for order, (code, name, level, threshold, color, tags) in enumerate(FACILITY_TYPES):
        FacilityType.objects.get_or_create(
            code=code,
            defaults={"name": name, "level_minutes": level, "threshold_minutes": threshold,
                      "color": color, "osm_tags": tags, "sort_order": order},
        )
    for code, name, color, hours, group in INCIDENT_CATEGORIES:
        IncidentCategory.objects.get_or_create(
            code=code, defaults={"name": name, "color": color, "time_limit_hours": hours, "group": group}
        )
