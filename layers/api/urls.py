from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from layers.api import views

router = DefaultRouter()
router.register("communities", views.CommunityViewSet, basename="community")
router.register("grids", views.GridViewSet, basename="grid")
router.register("facilities", views.FacilityViewSet, basename="facility")
router.register("households", views.HouseholdViewSet, basename="household")
router.register("incidents", views.IncidentViewSet, basename="incident")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("", include(router.urls)),
]
