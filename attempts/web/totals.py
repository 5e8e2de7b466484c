"""The total above a list page: ``attempts.paging`` counts (or estimates) every list."""

from attempts.paging import ESTIMATE_ABOVE, Total, total

__all__ = ["ESTIMATE_ABOVE", "Total", "total"]
