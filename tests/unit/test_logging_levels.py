"""The terminal is quiet by default and detailed on request."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from services.cli.common import configure_logging
from services.config import Settings


@pytest.fixture(autouse=True)
def _restore_root_level() -> Iterator[None]:
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)


def test_the_default_level_shows_libraries_warnings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAPAUDIT_LOG_LEVEL", raising=False)
    configure_logging(Settings().log_level)
    assert not logging.getLogger("aiokafka.consumer").isEnabledFor(logging.INFO)
    assert logging.getLogger("aiokafka.consumer").isEnabledFor(logging.WARNING)
    assert not logging.getLogger("kapaudit").isEnabledFor(logging.INFO)


def test_info_brings_back_the_libraries_detail() -> None:
    configure_logging("INFO")
    assert logging.getLogger("aiokafka.consumer").isEnabledFor(logging.INFO)
    assert logging.getLogger("kapaudit").isEnabledFor(logging.INFO)
    # Still held back: one line per FastStream batch or bagit file helps nobody.
    assert not logging.getLogger("bagit").isEnabledFor(logging.INFO)
