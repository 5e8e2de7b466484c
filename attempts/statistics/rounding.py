"""The one rounding of the product: half away from zero, computed exactly on fractions.

Stored results (``attempts.scoring``), pages, exports and APIs all round through here, so the
same ratio never shows two ways (``1/8`` is 0.13 everywhere; Python's default banker's
rounding would give 0.12). Pure: no Django import.
"""

import math
from decimal import Decimal
from fractions import Fraction

CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def half_up(value, exponent: Decimal = CENT) -> Decimal:
    """``value`` (int, Decimal, Fraction or float) rounded half away from zero to
    ``exponent``; never a negative zero.

    >>> half_up(Decimal("0.125")), half_up(Decimal("-0.125")), half_up(Fraction(1, 8), TENTH)
    (Decimal('0.13'), Decimal('-0.13'), Decimal('0.1'))
    >>> half_up(Decimal("-0.001"))
    Decimal('0.00')
    """
    steps = Fraction(value) / Fraction(exponent)
    whole = math.floor(abs(steps) + Fraction(1, 2))
    return (Decimal(whole if steps >= 0 else -whole) * exponent).quantize(exponent)


def ratio_half_up(numerator, denominator, exponent: Decimal = CENT) -> Decimal | None:
    """``numerator / denominator`` rounded half away from zero to ``exponent``, exactly;
    None when ``denominator`` is 0 (a share of nothing is no number).

    >>> ratio_half_up(34, 5), ratio_half_up(2, 3), ratio_half_up(-5, 8)
    (Decimal('6.80'), Decimal('0.67'), Decimal('-0.63'))
    >>> ratio_half_up(100, 8, TENTH), ratio_half_up(Decimal("13.00"), 2), ratio_half_up(1, 0)
    (Decimal('12.5'), Decimal('6.50'), None)
    """
    if not denominator:
        return None
    return half_up(Fraction(numerator) / Fraction(denominator), exponent)


def optional_half_up(value, exponent: Decimal = CENT) -> Decimal | None:
    """``half_up`` for a figure that may be undefined: None stays None (a display rule)."""
    return None if value is None else half_up(value, exponent)
