from django.urls import path

from layers.pages.views import data, home, patrol, planner, summary, worker

urlpatterns = [
    path("", home.home, name="home"),
    path("maps/overview.html", home.overview_map_html, name="overview_map"),
    path("maps/streets.geojson", home.streets_geojson, name="streets_geojson"),
    # 网格员: my grids, households, visits, reporting and moving incidents
    path("my/", worker.my_grids, name="my_grids"),
    path("my/map.html", worker.my_map, name="my_map"),
    path("households/<int:pk>/", worker.household_detail, name="household"),
    path("households/<int:pk>/reveal/", worker.household_reveal, name="household_reveal"),
    path("households/<int:pk>/visits/", worker.household_visit, name="household_visit"),
    path("incidents/new/", worker.report_incident, name="report_incident"),
    path("incidents/<int:pk>/", worker.incident_detail, name="incident"),
    path("grid-at/", worker.grid_at, name="grid_at"),
    # 规划人员
    path("planner/", planner.planner_page, name="planner"),
    path("planner/map.html", planner.planner_map_html, name="planner_map"),
    path("planner/suggest/", planner.planner_suggest, name="planner_suggest"),
    # 巡防
    path("patrol/", patrol.patrol_page, name="patrol"),
    path("patrol/map.html", patrol.patrol_map_html, name="patrol_map"),
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
