"""Browser tests drive their own `jupyter lab` process; pytest-jupyter's in-process server fixtures stay out of the way
(its autouse event-loop fixture would otherwise close the loop Playwright's sync API runs on)."""

import pytest


@pytest.fixture
def jp_asyncio_loop():
    yield None


@pytest.fixture
def jp_server_cleanup():
    yield
