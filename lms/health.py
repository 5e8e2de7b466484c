"""``/health/`` for load balancers and orchestrators: 200 when the process can serve, else 503.

``HealthProbeMiddleware``, first of all middleware, answers it before anything reads the Host
header: probes address a process by its own IP (``Host: 10.0.3.7:8000``), which ALLOWED_HOSTS
rightly refuses for every other path; and before the HTTPS redirect, for probes over plain
HTTP inside the network. The answer carries no data beyond "ok" or the failing check.

A small view rather than django-health-check: that library (4.x) supports Django 5.2, but it
brings dnspython and its own check registry and output formats for what is here two probes
with one JSON shape; this view has no dependency beyond the redis client Celery brings anyway.
"""

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> str | None:
    """None when a query goes through, else what went wrong."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return f"{type(error).__name__}: {error}"
    return None


def check_redis(url: str) -> str | None:
    import redis  # only processes configured with REDIS_URL need the client

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except redis.RedisError as error:
        return f"{type(error).__name__}: {error}"
    return None


@never_cache
@require_GET
def health(request):
    """``{"status": "ok", "checks": {"database": "ok", ...}}``; a failing check names its
    error and turns the status into 503. Redis is checked only when REDIS_URL is set."""
    errors = {"database": check_database()}
    if settings.REDIS_URL:
        errors["redis"] = check_redis(settings.REDIS_URL)
    healthy = not any(errors.values())
    return JsonResponse(
        {
            "status": "ok" if healthy else "unavailable",
            "checks": {name: error or "ok" for name, error in errors.items()},
        },
        status=200 if healthy else 503,
    )


HEALTH_PATH = "/health/"


class HealthProbeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == HEALTH_PATH:
            return health(request)
        return self.get_response(request)
