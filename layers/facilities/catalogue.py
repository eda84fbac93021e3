"""The seed catalogue of facility types (DOMAIN.md §4) and the one mapping of OpenStreetMap
tags to facility types.

Kept as data: the facilities migration seeds these rows once; administrators edit them in
the admin afterwards (names, colours, thresholds are theirs to set).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

# code, name, life-circle level (minutes), walking threshold (minutes), colour, OSM tags
FACILITY_TYPES: list[tuple[str, str, int, int, str, list[list[str]]]] = [
    ("health_station", "社区卫生服务站", 5, 5, "#e41a1c",
     [["amenity", "clinic"], ["healthcare", "clinic"], ["amenity", "doctors"]]),
    ("health_centre", "社区卫生服务中心/医院", 15, 15, "#b2182b",
     [["amenity", "hospital"], ["healthcare", "hospital"]]),
    ("elderly_daycare", "老年人日间照料中心", 5, 5, "#ff7f00",
     [["social_facility", "day_care"]]),
    ("elderly_home", "养老院", 15, 15, "#a65628", [["amenity", "nursing_home"], ["social_facility", "nursing_home"]]),
    ("kindergarten", "幼儿园", 5, 5, "#f781bf", [["amenity", "kindergarten"], ["amenity", "childcare"]]),
    ("primary_school", "小学", 10, 10, "#377eb8", [["amenity", "school"], ["isced:level", "1"]]),
    ("middle_school", "初中", 15, 15, "#253494", [["amenity", "school"], ["isced:level", "2"]]),
    ("market", "菜市场/生鲜超市", 10, 10, "#4daf4a",
     [["amenity", "marketplace"], ["shop", "supermarket"], ["shop", "greengrocer"]]),
    ("fitness_point", "室外综合健身场地", 5, 5, "#66c2a5", [["leisure", "fitness_station"]]),
    ("sports_ground", "多功能运动场地", 10, 10, "#1b9e77", [["leisure", "pitch"], ["leisure", "sports_centre"], ["leisure", "stadium"]]),
    ("service_station", "社区服务站", 5, 5, "#984ea3", [["amenity", "townhall"]]),
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


# Words in a school's name that make it no life-circle facility (higher, vocational, adult).
NOT_A_SCHOOL = ("大学", "学院", "电大", "培训", "职业", "技校", "驾校", "党校", "分校", "研究")
CAMPUS_WORDS = ("校区", "大学", "学院")


def school_type(name: str) -> str | None:
    """The facility type of a school by its name, or None to leave it out.

    幼儿园 → kindergarten; 小学 → primary_school; 中学/初中 → middle_school (a 高级中学 or 高中
    without 初中 is left out: senior high is no life-circle facility); a 学校 whose name states
    no level (实验学校, in Chengdu usually 九年一贯制) counts as primary_school only, because an
    OSM element is one facility and the primary section is the larger; universities,
    colleges, training and adult schools, and schools without a name, are left out.
    """
    if not name:
        return None
    if "幼儿园" in name or "幼稚园" in name:
        return "kindergarten"
    if any(word in name for word in NOT_A_SCHOOL):
        return None
    if "小学" in name:
        return "primary_school"
    if "初中" in name or ("中学" in name and "高级中学" not in name):
        return "middle_school"
    if "高中" in name or "高级中学" in name:
        return None
    if "学校" in name:
        return "primary_school"
    return None


def osm_facility_type(
    tags: Mapping[str, str],
    *,
    name: str = "",
    is_area: bool = False,
    type_tags: Sequence[tuple[str, Sequence[Sequence[str]]]] | None = None,
) -> str | None:
    """The facility type code of an OpenStreetMap element, or None when it is none of them.

    The first type (catalogue order) listing one of the element's ``key=value`` tags wins,
    with three refinements OSM tags cannot express: a school's level comes from its
    ``name`` (:func:`school_type`), a campus library is not open to residents, and a park
    or garden counts only as an area (a node is usually a sign or a gate). ``type_tags``
    defaults to the seed catalogue's; callers may pass the administrator-edited tags of
    the FacilityType rows as ``[(code, osm_tags), ...]``.
    """
    amenity = tags.get("amenity", "")
    if amenity == "school":
        return school_type(name)
    if amenity == "library" and any(word in name for word in CAMPUS_WORDS):
        return None
    table = type_tags if type_tags is not None else [(code, pairs) for code, *_, pairs in FACILITY_TYPES]
    for code, pairs in table:
        if any(tags.get(key) == value for key, value in pairs):
            if code == "park" and not is_area:
                continue
            return code
    return None
