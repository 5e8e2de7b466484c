"""The one cleaning rule for the stored HTML of questions, explanations and choices.

Authors write HTML (the admin, an import, an API); learners and reviewers read it in pages and
API payloads. ``clean_html`` runs on the way in (``Question.save``, ``AnswerChoice.save``) and
again on the way out (the pages' ``|sanitized`` filter, the API serializers), so rows written
before the rule existed, or around the models, are served clean too.

On top of nh3's allow-list (no ``<script>``, no ``on*`` attributes, no ``javascript:`` URLs,
``rel="noopener noreferrer"`` on every link):

- An image loads only from this site (a path such as ``/media/x.png``), from a ``data:image/``
  URI, or from a host listed in ``settings.QUESTION_IMAGE_HOSTS``: a remote image would let a
  question's author see who opens the question, and when.
- Links may not carry ``data:`` URLs (an HTML page in a link is a page of the attacker's).
"""

from html import unescape
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.utils.text import Truncator

URL_SCHEMES = frozenset({"http", "https", "mailto", "data"})


def _image_allowed(src: str) -> bool:
    src = src.strip()
    if src.lower().startswith("data:"):
        return src.lower().startswith("data:image/")
    parts = urlsplit(src)
    if not parts.scheme and not parts.netloc:
        # A path on this site; browsers read a leading backslash as "//", another host.
        return not src.startswith("\\")
    hosts = {host.lower() for host in settings.QUESTION_IMAGE_HOSTS}
    return parts.scheme in ("http", "https") and (parts.hostname or "") in hosts


def _filter_attribute(element: str, attribute: str, value: str) -> str | None:
    """nh3's per-attribute hook: return the value to keep it, None to drop it."""
    if element == "img" and attribute == "src":
        return value if _image_allowed(value) else None
    if attribute == "href" and value.strip().lower().startswith("data:"):
        return None
    return value


def clean_html(html: str | None) -> str:
    """Stored HTML made safe to show (idempotent: cleaning clean HTML changes nothing)."""
    return nh3.clean(html or "", attribute_filter=_filter_attribute, url_schemes=URL_SCHEMES)


def html_excerpt(html: str | None, length: int) -> str:
    """The one plain-text excerpt of stored HTML, for tables, lists and the admin.

    nh3 with no allowed tag keeps the text and drops ``<script>``/``<style>`` with their
    content (``strip_tags`` would keep ``alert(1)`` or a CSS rule as text); entities are then
    decoded so the page's autoescaping encodes them once (``&amp;`` shows as ``&``),
    whitespace collapsed, and the text cut to ``length`` characters with an ellipsis.

    >>> html_excerpt("<style>p{color:red}</style><p>Water &amp; <b>ice</b></p>", 80)
    'Water & ice'
    >>> html_excerpt("<p>The quick brown fox</p>", 10)
    'The quick…'
    """
    text = " ".join(unescape(nh3.clean(html or "", tags=set())).split())
    return Truncator(text).chars(length)
