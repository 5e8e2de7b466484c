"""Requests per API client, on every endpoint that takes API keys.

DRF's ``SimpleRateThrottle`` counts in the default cache (LocMemCache in one process, Redis
once ``CACHES`` names it), keyed by the client's ``client_id``; the rate is
``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_client"]``. Over the rate DRF answers 429 with
``Retry-After`` (seconds). Requests of people (JWT, session) are not counted here.
"""

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from lms.models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    scope = "api_client"

    def get_rate(self):
        # Read when the throttle is made, not when DRF was imported (the class attribute
        # THROTTLE_RATES is frozen then): tests and settings overrides change it.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        client = request.auth
        if not isinstance(client, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": client.client_id}
