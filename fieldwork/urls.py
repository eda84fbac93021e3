from django.urls import path

from fieldwork import views

urlpatterns = [
    path("my/", views.my_grids, name="my_grids"),
    path("my/map.html", views.my_map, name="my_map"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/reveal/", views.household_reveal, name="household_reveal"),
    path("households/<int:pk>/visits/", views.household_visit, name="household_visit"),
    path("incidents/new/", views.report_incident, name="report_incident"),
    path("incidents/<int:pk>/", views.incident_detail, name="incident"),
    path("grid-at/", views.grid_at, name="grid_at"),
]
