"""How the product writes a duration: the API, the pages and the exports agree on it."""

from datetime import timedelta


def format_hms(value: timedelta | int | None) -> str | None:
    """``H:MM:SS`` with whole seconds; hours go past 24 rather than switching to days."""
    if value is None:
        return None
    seconds = value if isinstance(value, int) else int(value.total_seconds())
    seconds = max(seconds, 0)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
