from django.urls import path

from layers.pages.views import (
    data,
    department,
    home,
    incidents,
    offline,
    patrol,
    phone,
    photos,
    planner,
    summary,
    worker,
)

urlpatterns = [
    path("", home.home, name="home"),
    path("maps/overview.html", home.overview_map_html, name="overview_map"),
    path("maps/streets.geojson", home.streets_geojson, name="streets_geojson"),
    # 网格员: my grids, households, visits, reporting and moving incidents
    path("my/", worker.my_grids, name="my_grids"),
    path("my/map.html", worker.my_map, name="my_map"),
    path("my/today/", phone.today, name="my_today"),
    path("my/households/", phone.household_search, name="household_search"),
    path("my/me/", phone.me, name="my_me"),
    path("households/<int:pk>/", worker.household_detail, name="household"),
    path("households/<int:pk>/reveal/", worker.household_reveal, name="household_reveal"),
    path("households/<int:pk>/visits/", worker.household_visit, name="household_visit"),
    path("incidents/new/", worker.report_incident, name="report_incident"),
    # 事件: the list and the case page of every role with incidents (scoped by visibility)
    path("incidents/", incidents.incident_list, name="incidents"),
    path("incidents/<int:pk>/", incidents.incident_detail, name="incident"),
    path("incidents/<int:pk>/map.html", incidents.incident_map_html, name="incident_map"),
    path("incidents/<int:pk>/urge/", incidents.incident_urge, name="incident_urge"),
    path("incidents/<int:pk>/merge/", incidents.incident_merge, name="incident_merge"),
    path("incidents/duplicates/", incidents.duplicates_json, name="incident_duplicates"),
    path("grid-at/", worker.grid_at, name="grid_at"),
    # 处置部门 and 指挥中心: their cases, 派遣/接收/反馈 from the case page; everyone's notifications
    path("dept/", department.department_page, name="department"),
    path("incidents/<int:pk>/step/", department.incident_step, name="incident_step"),
    path("notifications/", department.notifications_page, name="notifications"),
    # photos (only through the incident's visibility) and the offline shell
    path("incidents/<int:pk>/photos/<int:photo_id>/", photos.incident_photo, name="incident_photo"),
    path("incidents/<int:pk>/photos/<int:photo_id>/thumb/", photos.incident_photo_thumb, name="incident_photo_thumb"),
    path("sw.js", offline.service_worker, name="service_worker"),
    # 规划人员
    path("planner/", planner.planner_page, name="planner"),
    path("planner/map.html", planner.planner_map_html, name="planner_map"),
    path("planner/suggest/", planner.planner_suggest, name="planner_suggest"),
    path("planner/export/", planner.planner_export, name="planner_export"),
    path("planner/scenarios/", planner.planner_scenarios, name="planner_scenarios"),
    # 巡防
    path("patrol/", patrol.patrol_page, name="patrol"),
    path("patrol/map.html", patrol.patrol_map_html, name="patrol_map"),
    path("patrol/card/", patrol.patrol_card, name="patrol_card"),
    # 管理员: 数据导入导出 (background jobs; only a POST queues one)
    path("data/", data.data_page, name="data"),
    path("data/import/", data.data_import, name="data_import"),
    path("data/export/", data.data_export, name="data_export"),
    # 领导: 辖区汇总 区 → 街道 → 社区 → 网格, and the priority-group ledgers (台账)
    path("summary/", summary.summary_page, name="summary"),
    path("summary/ledger/", summary.ledger_page, name="summary_ledger_all"),
    path("summary/ledger.xlsx", summary.ledger_export, name="summary_ledger_export_all"),
    path("summary/<str:level>/<str:code>/", summary.summary_page, name="summary_unit"),
    path("summary/<str:level>/<str:code>/ledger/", summary.ledger_page, name="summary_ledger"),
    path("summary/<str:level>/<str:code>/ledger.xlsx", summary.ledger_export, name="summary_ledger_export"),
]
