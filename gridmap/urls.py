from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("api/", include("layers.api.urls")),
    path("", include("layers.ops.urls")),
    path("", include("layers.jobs.urls")),
    path("", include("layers.pages.urls")),
]
