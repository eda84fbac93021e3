"""The demo district's 处置部门 and its command-centre and department logins.

The departments are those the generated cases were dispatched to (layers.demo.incidents.
DEPARTMENTS: their 派遣 steps read "派遣至<name>") plus a sanitation office and a property
management office that no old case went to. After load_points, :func:`load_departments`
creates them in the demo district, puts each department's demo user in it, sets every
dispatched case's department from its 派遣 step, and records the command centre as the one
who accepted and dispatched, the department user as the one who handled and reported back.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import connection

from layers.demo import DISTRICT_CODE
from layers.demo.incidents import DEPARTMENTS
from layers.grids.models import District
from layers.incidents.models import Department

# (name, kind, username, the user's name); the first six cover 城管 环卫 市政 物业 派出所 民政.
DEMO_DEPARTMENTS = [
    ("街道城管执法中队", "城管", "chengguan", "赵建国"),
    ("街道环卫所", "环卫", "huanwei", "钱秀英"),
    ("街道城市管理办", "市政", "shizheng", "孙志强"),
    ("锦华物业服务中心", "物业", "wuye", "周丽"),
    ("社区民警", "派出所", "minjing", "吴海军"),
    ("社区居委会", "民政", "minzheng", "郑桂兰"),
    ("区住建局质安站", "其他", "zhujian", "王磊"),
    ("街道应急办", "其他", "yingji", "冯晓东"),
    ("社区人民调解委员会", "其他", "tiaojie", "陈淑珍"),
    ("街道安监办", "其他", "anjian", "褚卫东"),
    ("街道消防工作站", "其他", "xiaofang", "卫明"),
]
COMMAND_USER = {"username": "zhihui", "name": "蒋文华", "role": "command", "grids": []}
assert set(DEPARTMENTS.values()) <= {d[0] for d in DEMO_DEPARTMENTS}, "a generated case's department is missing"


def demo_users() -> list[dict]:
    """User specs (as in the fixture's users.json) of the command centre and the departments."""
    return [COMMAND_USER, *({"username": u, "name": n, "role": "department", "grids": []}
                            for _, _, u, n in DEMO_DEPARTMENTS)]


def load_departments(incident_prefix: str) -> dict[str, int]:
    """Departments, their users, and the dispatched demo cases' department and actors."""
    district = District.objects.get(code=DISTRICT_CODE)
    users = {u.username: u for u in get_user_model().objects.filter(
        username__in=[COMMAND_USER["username"], *(d[2] for d in DEMO_DEPARTMENTS)])}
    for name, kind, username, _ in DEMO_DEPARTMENTS:
        dept, _ = Department.objects.update_or_create(district=district, name=name,
                                                      defaults={"kind": kind, "active": True})
        if username in users:
            dept.users.add(users[username])
    command = users.get(COMMAND_USER["username"])
    with connection.cursor() as cur:
        cur.execute("""
            UPDATE incidents_incident i SET department_id = d.id
              FROM incidents_incidenttransition t, incidents_department d
             WHERE t.incident_id = i.id AND t.to_status = 'dispatched' AND t.note = '派遣至' || d.name
               AND d.district_id = %s AND i.external_id LIKE %s""", [district.id, incident_prefix + "%"])
        dispatched = cur.rowcount
        if command is not None:
            cur.execute("""
                UPDATE incidents_incidenttransition t SET by_id = %s
                  FROM incidents_incident i
                 WHERE t.incident_id = i.id AND t.to_status IN ('accepted', 'cancelled', 'dispatched')
                   AND i.external_id LIKE %s""", [command.id, incident_prefix + "%"])
        # The department's user handled and reported back (the first user of the case's department).
        cur.execute("""
            WITH member AS (
                SELECT DISTINCT ON (m.department_id) m.department_id, m.user_id
                  FROM incidents_department_users m ORDER BY m.department_id, m.user_id
            )
            UPDATE incidents_incidenttransition t SET by_id = member.user_id
              FROM incidents_incident i, member
             WHERE t.incident_id = i.id AND member.department_id = i.department_id
               AND (t.to_status = 'feedback' OR (t.to_status = 'handling' AND t.from_status = 'dispatched'))
               AND i.external_id LIKE %s""", [incident_prefix + "%"])
    return {"departments": len(DEMO_DEPARTMENTS), "dispatched_to_departments": dispatched}
