"""The seed catalogue of incident categories (DOMAIN.md §3).

Kept as data: the incidents migration seeds these rows once; administrators edit them in
the admin afterwards (names, colours and time limits are theirs to set).
"""

from __future__ import annotations

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

# 立案 and 派遣 limits (hours, from the report and from 立案). Taiyuan's published limits
# (DOMAIN.md §3): 立案 + 派遣 within 30 minutes, 10 minutes for emergencies; split evenly.
STAGE_LIMITS_HOURS: dict[str, tuple[str, str]] = {"emergency": ("0.08", "0.08")}
DEFAULT_STAGE_LIMITS_HOURS = ("0.25", "0.25")


def seed_incident_categories(apps, schema_editor=None) -> None:
    """Create the incident categories that are missing (existing rows are left as edited)."""
    IncidentCategory = apps.get_model("incidents", "IncidentCategory")
    # The first migration's model has no stage limits yet (0005_stage_limits adds and seeds them).
    staged = any(f.name == "accept_limit_hours" for f in IncidentCategory._meta.get_fields())
    for code, name, color, hours, group in INCIDENT_CATEGORIES:
        defaults = {"name": name, "color": color, "time_limit_hours": hours, "group": group}
        if staged:
            accept, dispatch = STAGE_LIMITS_HOURS.get(code, DEFAULT_STAGE_LIMITS_HOURS)
            defaults |= {"accept_limit_hours": accept, "dispatch_limit_hours": dispatch}
        IncidentCategory.objects.get_or_create(code=code, defaults=defaults)


def seed_stage_limits(apps, schema_editor=None) -> None:
    """Give the seeded categories whose stage limits differ from the default their values."""
    IncidentCategory = apps.get_model("incidents", "IncidentCategory")
    for code, (accept, dispatch) in STAGE_LIMITS_HOURS.items():
        IncidentCategory.objects.filter(code=code).update(accept_limit_hours=accept, dispatch_limit_hours=dispatch)
