"""Filters of the review pages: stored HTML made safe, durations and plain-text excerpts."""

from decimal import Decimal

from django import template
from django.utils.safestring import mark_safe

from assessments.html import clean_html, html_excerpt
from attempts.durations import format_hms

register = template.Library()


@register.filter
def sanitized(html: str | None) -> str:
    """Stored question/choice HTML cleaned by ``assessments.html.clean_html`` (again: rows may
    predate the rule), then marked safe. Never ``|safe`` the raw field."""
    return mark_safe(clean_html(html))


@register.filter
def excerpt(html: str | None, length: int = 120) -> str:
    """``assessments.html.html_excerpt``: plain text of stored HTML, cut to ``length``."""
    return html_excerpt(html, length)


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
