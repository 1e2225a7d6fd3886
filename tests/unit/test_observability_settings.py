"""The metrics ports, the log format and the engine's hidden parameters, as configured."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.adapters.sql import create_engine
from services.config import Settings


def test_the_metrics_ports_default_to_9101_and_9102(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAPAUDIT_RECORDER_METRICS_PORT", raising=False)
    monkeypatch.delenv("KAPAUDIT_PROJECTOR_METRICS_PORT", raising=False)
    settings = Settings()
    assert (settings.recorder_metrics_port, settings.projector_metrics_port) == (9101, 9102)
    assert settings.log_format == "console"


def test_off_turns_a_metrics_port_off_and_0_asks_for_a_free_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAPAUDIT_RECORDER_METRICS_PORT", "off")
    monkeypatch.setenv("KAPAUDIT_PROJECTOR_METRICS_PORT", "0")
    monkeypatch.setenv("KAPAUDIT_LOG_FORMAT", "JSON")
    settings = Settings()
    assert settings.recorder_metrics_port is None
    assert settings.projector_metrics_port == 0
    assert settings.log_format == "json"


def test_an_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAPAUDIT_LOG_FORMAT", "xml")
    with pytest.raises(ValidationError, match="log_format"):
        Settings()


@pytest.mark.parametrize(
    "url", ["sqlite+aiosqlite:///:memory:", "postgresql+asyncpg://nobody@127.0.0.1/test"]
)
def test_engines_keep_bound_values_out_of_error_messages(url: str) -> None:
    assert create_engine(url).sync_engine.hide_parameters
