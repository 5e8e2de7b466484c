"""Which format a results request is answered in: XML unless asked for JSON.

``?format=json`` or ``?format=xml`` (the override the schema documents) wins over the
``Accept`` header; otherwise ``Accept`` decides as in DRF's negotiation. A request for
neither (an unknown ``format``, ``Accept: text/csv``) gets iSpring's default, XML, rather
than DRF's 404 or 406: the contract has no such status.
"""

from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation


class IspringContentNegotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        wanted = format_suffix or request.query_params.get(self.settings.URL_FORMAT_OVERRIDE)
        for renderer in renderers:
            if wanted and renderer.format == wanted:
                return renderer, renderer.media_type
        try:
            return super().select_renderer(request, renderers, format_suffix)
        except NotAcceptable:
            return renderers[0], renderers[0].media_type

    def filter_renderers(self, renderers, format):
        """An unknown ``format`` is left to the ``Accept`` header (DRF answers 404)."""
        return renderers
