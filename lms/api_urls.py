"""REST API routes under ``/api/``: one include per contract, the OpenAPI schema and its docs,
and a JSON 404 for any other path. URL names live in the ``api`` namespace."""

from django.http import JsonResponse
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

app_name = "api"


def not_found(request, *args, **kwargs):
    """Any other path under /api/ (an id that is no number, say): a JSON 404 as DRF gives."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path("", include("attempts.api.testpress.urls")),
    path("v1/", include("attempts.api.statistics.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's init script from a URL (?script), not inline: the
    # page then satisfies the Content-Security-Policy without 'unsafe-inline'.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^", not_found),
]
