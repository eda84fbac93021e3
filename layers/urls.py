from django.urls import path

from layers import views

urlpatterns = [
    path("", views.home, name="home"),
    path("maps/overview.html", views.overview_map_html, name="overview_map"),
    path("maps/streets.geojson", views.streets_geojson, name="streets_geojson"),
    path("planner/", views.planner_page, name="planner"),
    path("patrol/", views.patrol_page, name="patrol"),
]
