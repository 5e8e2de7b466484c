import pytest

from tests.lms.demo.seeding import ARGS, rolled_back, seed_demo


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The output of ``seed_demo`` with ARGS; its rows live until the module's tests are done.

    Built once per module that asks for it (about 13 s), inside a transaction rolled back at
    the end; each test's own changes are rolled back after it (``db``).
    """
    with django_db_blocker.unblock(), rolled_back():
        yield seed_demo(*ARGS)


@pytest.fixture
def demo(seeded, db):
    return seeded
