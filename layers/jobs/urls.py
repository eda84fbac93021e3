from django.urls import path

from layers.jobs import views

urlpatterns = [
    path("jobs/<int:pk>/", views.job_status, name="job_status"),
    path("jobs/<int:pk>/download/", views.job_download, name="job_download"),
]
