from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from layers.api import analysis_views, summary_views, views

router = DefaultRouter()
router.register("communities", views.CommunityViewSet, basename="community")
router.register("grids", views.GridViewSet, basename="grid")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("incidents", views.IncidentViewSet, basename="incident")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("circles/", analysis_views.CircleView.as_view(), name="api-circles"),
    path("coverage/", analysis_views.CoverageView.as_view(), name="api-coverage"),
    path("hotspots/", analysis_views.HotspotView.as_view(), name="api-hotspots"),
    path("summary/", summary_views.SummaryView.as_view(), name="api-summary"),
    path("", include(router.urls)),
]
