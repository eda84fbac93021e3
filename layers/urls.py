from django.urls import path

from layers import views, views_roles

urlpatterns = [
    path("", views.home, name="home"),
    path("maps/overview.html", views.overview_map_html, name="overview_map"),
    path("maps/streets.geojson", views.streets_geojson, name="streets_geojson"),
    path("planner/", views_roles.planner_page, name="planner"),
    path("planner/map.html", views_roles.planner_map_html, name="planner_map"),
    path("planner/suggest/", views_roles.planner_suggest, name="planner_suggest"),
    path("patrol/", views_roles.patrol_page, name="patrol"),
    path("patrol/map.html", views_roles.patrol_map_html, name="patrol_map"),
]
