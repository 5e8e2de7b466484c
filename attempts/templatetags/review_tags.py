"""Filters of the review pages: stored HTML made safe, durations and plain-text excerpts."""

from decimal import Decimal
from html import unescape

import nh3
from django import template
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

from assessments.html import clean_html
from attempts.durations import format_hms

register = template.Library()


@register.filter
def sanitized(html: str | None) -> str:
    """Stored question/choice HTML cleaned by ``assessments.html.clean_html`` (again: rows may
    predate the rule), then marked safe. Never ``|safe`` the raw field."""
    return mark_safe(clean_html(html))


@register.filter
def excerpt(html: str | None, length: int = 120) -> str:
    """Plain text of stored HTML, cut to ``length`` characters. Entities are decoded so the
    page's autoescaping encodes them once (``&amp;`` stays a visible ``&``)."""
    # nh3 first: it drops <script>/<style> with their content, which strip_tags would keep.
    text = " ".join(unescape(strip_tags(nh3.clean(html or ""))).split())
    return Truncator(text).chars(length)


@register.filter
def hms(value) -> str:
    """``H:MM:SS`` for a timedelta or seconds; an em dash for None."""
    formatted = format_hms(value)
    return "—" if formatted is None else formatted


@register.filter
def plain_number(value: Decimal | None) -> str:
    """A stored decimal without its trailing zeros: ``9.840000`` → ``9.84``, ``5.000000`` → ``5``."""
    if value is None:
        return "—"
    return format(value.normalize(), "f")
