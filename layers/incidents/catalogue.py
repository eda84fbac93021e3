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



def seed_incident_categories(apps, schema_editor=None) -> None:
    """Create the incident categories that are missing (existing rows are left as edited)."""
    IncidentCategory = apps.get_model("incidents", "IncidentCategory")
    for code, name, color, hours, group in INCIDENT_CATEGORIES:
        IncidentCategory.objects.get_or_create(
            code=code, defaults={"name": name, "color": color, "time_limit_hours": hours, "group": group}
        )
