"""Responses that carry personal data are never stored by a browser or a shared cache.

Every page a signed-in user gets (attempt lists and their CSV/XLSX exports, attempt details,
summaries, the evaluation queue) and every API response are private: another user of the same
computer, or a proxy between us and them, must not be able to replay them. The schema and the
API docs describe the API, not anyone's data, and stay cacheable. A view that sets its own
Cache-Control (Django's login view: ``never_cache``) keeps it.
"""

from django.utils.cache import patch_cache_control

# URL names under the ``api`` namespace whose responses hold no personal data.
PUBLIC_API_VIEWS = frozenset({"schema", "docs"})


def is_private_api(request) -> bool:
    match = request.resolver_match
    return (
        match is not None and "api" in match.namespaces and match.url_name not in PUBLIC_API_VIEWS
    )


class PrivateResponsesMiddleware:
    """``Cache-Control: private, no-store`` on responses to signed-in users and on the API.

    After AuthenticationMiddleware in ``MIDDLEWARE``; the user is read after the view ran, so
    an API request signed in with a token (DRF sets ``request.user`` then) counts as well.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.has_header("Cache-Control"):
            return response
        user = getattr(request, "user", None)
        if is_private_api(request) or (user is not None and user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response
