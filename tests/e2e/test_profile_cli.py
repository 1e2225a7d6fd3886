"""``kapaudit profile``: set refuses what it cannot publish; show lists versions and sources."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.adapters.sql import SqlEventStore, create_engine, upgrade_schema
from services.cli.profiles import parse_setting
from tests.e2e.test_cli import _run
from tests.factories import at, document, valid


def _empty_store(directory: Path) -> dict[str, str]:
    # `set` checks a change against the profile in force, which it reads from the store.
    return {"KAPAUDIT_DATA_DIR": str(directory), "COLUMNS": "250"}


def test_a_setting_is_read_as_a_toml_value_and_a_bare_word_as_text() -> None:
    assert parse_setting("monitoring_max_gap_minutes=10") == ("monitoring_max_gap_minutes", 10)
    assert parse_setting("baseline_requires_spo2=false") == ("baseline_requires_spo2", False)
    assert parse_setting("adverse_event_min_severity=severe") == (
        "adverse_event_min_severity",
        "severe",
    )


def test_set_refuses_a_value_out_of_range_naming_the_setting_and_publishes_nothing(
    tmp_path: Path,
) -> None:
    result = _run(
        "profile",
        *("set", "clinic-a", "iv-ketamine", "monitoring_max_gap_minutes=0"),
        *("--reason", "Tighter monitoring.", "--author", "dr-ng"),
        # No broker listens here: a refusal must come before any attempt to publish.
        env={**_empty_store(tmp_path), "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
    )
    assert result.returncode != 0
    assert "monitoring_max_gap_minutes: Input should be greater than 0" in result.stderr


def test_set_refuses_an_unknown_setting_naming_it(tmp_path: Path) -> None:
    result = _run(
        "profile",
        *("set", "clinic-a", "iv-ketamine", "monitoring_gap=10"),
        *("--reason", "Tighter monitoring.", "--author", "dr-ng"),
        env={**_empty_store(tmp_path), "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"},
    )
    assert result.returncode != 0
    assert "monitoring_gap" in result.stderr


async def test_show_lists_the_version_in_force_with_its_author_and_the_shipped_sources(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    changed_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    change = at(
        document(
            "profile.changed",
            clinic_id="clinic-a",
            payload={"settings": {"monitoring_max_gap_minutes": 10}, "reason": "Director."},
        ),
        changed_at,
    )
    await SqlEventStore(engine=engine).record(
        valid=[valid(change)], invalid=[], recorded_at=changed_at
    )
    await engine.dispose()
    env = {"KAPAUDIT_DATABASE_URL": url, "COLUMNS": "400"}

    now = _run("profile", "show", "clinic-a", env=env)
    before = _run(
        "profile",
        *("show", "clinic-a", "--as-of", (changed_at - timedelta(days=1)).isoformat()),
        env=env,
    )

    assert now.returncode == 0, now.stderr
    assert "iv-ketamine: version 1 in force" in now.stdout
    assert "version 1 by dr-okafor: Director." in now.stdout
    assert "Sanacora" in now.stdout  # a shipped default keeps its source
    assert "iv-ketamine: version 0 in force" in before.stdout


async def test_set_refuses_a_change_the_version_in_force_makes_incoherent(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    changed_at = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    window = {"post_dose_bp_from_minutes": 45, "post_dose_bp_until_minutes": 60}
    change = at(
        document("profile.changed", clinic_id="clinic-a", payload={"settings": window}),
        changed_at,
    )
    await SqlEventStore(engine=engine).record(
        valid=[valid(change)], invalid=[], recorded_at=changed_at
    )
    await engine.dispose()

    result = _run(
        "profile",
        *("set", "clinic-a", "iv-ketamine", "post_dose_bp_until_minutes=40"),
        *("--reason", "Earlier reading.", "--author", "dr-ng"),
        env={
            "KAPAUDIT_DATABASE_URL": url,
            "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
            "COLUMNS": "400",
        },
    )

    # Against the shipped start (30) an end at 40 passed, and the fold then refused it.
    assert result.returncode != 0
    assert "conflicts with version 1" in result.stderr
    assert "post_dose_bp_from_minutes = 45" in result.stderr
