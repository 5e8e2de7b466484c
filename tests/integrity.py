"""How the constraint tests (tests/<app>/test_constraints.py) say that the database, not only
a form, refuses a row."""

import pytest
from django.db import IntegrityError, transaction


def rejected(factory, **kwargs):
    """True once ``factory(**kwargs)`` has raised ``IntegrityError`` (in a savepoint, so the
    test goes on); the test fails if the row was accepted."""
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)
    return True
