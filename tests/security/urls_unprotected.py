"""A URLconf with views written without any access check, as a page added later might be."""

from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def forgotten_page(request):
    return HttpResponse("户数 1234")


class ForgottenApi(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"households": 1234})


urlpatterns = [
    path("forgotten/", forgotten_page),
    path("api/forgotten/", ForgottenApi.as_view()),
    path("health/", lambda request: HttpResponse("ok")),
    path("", include("gridmap.urls")),
]
