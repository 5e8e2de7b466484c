"""Browser tests: pytest-playwright drives Debian's chromium against pytest-django's live_server.

Each test gets its own browser context (pytest-playwright's function-scoped ``context`` and
``page``): cookies and storage never leak from one test to the next. Data is written with
``transactional_db`` (``live_server`` implies it) because the server thread reads the
database through its own connection, which cannot see a test transaction left open.
"""

import os
import shutil
from pathlib import Path

import pytest

from tests.attempts import conftest as attempts_conftest

# The kit exam of the attempt tests (6 questions × 4 marks, teacher / ada, passwords "pass").
kit = attempts_conftest.kit

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

# Debian's chromium, never a browser downloaded by `playwright install`. The network is closed:
# without the background-networking flags chromium keeps trying (and failing) to phone home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session", autouse=True)
def _orm_beside_playwrights_event_loop():
    """Let the test thread use the ORM while pytest-playwright's sync API is alive.

    The sync API runs an asyncio event loop in this thread (in a greenlet) from the first
    browser test until the session ends, so Django believes it is called from async code and
    raises SynchronousOnlyOperation on every query of the test thread, including the fixtures'
    data and pytest-django's flush. Those queries are plain synchronous code, and the loop
    never runs concurrently with them: allowing them is safe. Session-scoped because the loop
    outlives the browser tests: tests collected after them run beside it too.
    """
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args():
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail(
            "The browser tests need Debian's chromium on PATH and it is missing: "
            "run `make browser` (make test does it) or `apt-get install chromium`.",
            pytrace=False,
        )
    return {"executable_path": executable, "args": CHROMIUM_ARGS}


@pytest.fixture
def artifacts():
    """Folder of the screenshots (ignored by git) for a reviewer to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
