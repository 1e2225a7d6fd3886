"""The integration suites: the real broker and the real store, on each backend, since the
recorder's and projector's transactions, races and retries differ by SQL dialect."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A fresh database on each backend in turn (the root conftest's is on one)."""
    async with fresh_database(request.param, tmp_path) as url:
        yield url
