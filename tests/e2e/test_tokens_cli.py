"""``kapaudit tokens`` with names and clinic ids an operator may type: shown as typed, or
refused in one line before anything is written."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from services.adapters.sql import create_engine, upgrade_schema
from services.adapters.sql.token_store import SqlTokenStore
from services.auth import Role

ROOT = Path(__file__).resolve().parents[2]

CLINIC_RULE = "hint: a clinic id is 1-64 characters, not blank, without '/' or control characters"
NAME_RULE = "hint: a name is 1-64 characters, not blank, without control characters"


def _tokens(*args: str, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", "tokens", *args],
        cwd=ROOT,
        env={**os.environ, "KAPAUDIT_DATABASE_URL": url, "COLUMNS": "250"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _listed_names(url: str) -> list[str]:
    listed = _tokens("list", url=url)
    assert listed.returncode == 0, listed.stderr
    # Body rows are ruled with "│"; the header, with "┃".
    return [line.split("│")[1].strip() for line in listed.stdout.splitlines() if "│" in line]


def _one_line_error(result: subprocess.CompletedProcess[str]) -> tuple[str, str]:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    error, hint = result.stderr.splitlines()
    assert error.startswith("error: ")
    assert hint.startswith("hint: ")
    return error, hint


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'tokens.db'}"


def test_a_token_name_with_brackets_is_printed_and_listed_verbatim(database_url: str) -> None:
    for name in ("[/x]", "[red]evil", "a:smile:b"):
        created = _tokens("create", "--role", "admin", "--name", name, url=database_url)
        assert created.returncode == 0, created.stderr
        header, token = created.stdout.strip().splitlines()
        assert header == f"token {name} (admin, clinics: all); it is shown only once:"
        assert token.startswith("kap_")
    assert _listed_names(database_url) == ["[/x]", "[red]evil", "a:smile:b"]


def test_a_token_name_with_brackets_is_revoked_by_the_name_it_was_given(
    database_url: str,
) -> None:
    assert _tokens("create", "--role", "admin", "--name", "[red]evil", url=database_url).stdout
    revoked = _tokens("revoke", "[red]evil", url=database_url)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == "revoked [red]evil"
    error, _ = _one_line_error(_tokens("revoke", "[/x]", url=database_url))
    assert error == "error: no live token named '[/x]'"


def test_an_empty_clinic_id_is_refused_with_a_one_line_error(database_url: str) -> None:
    result = _tokens(
        "create", "--role", "compliance_officer", "--clinic", "", "--name", "e", url=database_url
    )
    assert _one_line_error(result) == ("error: --clinic: '' is empty", CLINIC_RULE)
    assert _listed_names(database_url) == []


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--clinic", "a/b"], ("error: --clinic: 'a/b' contains '/'", CLINIC_RULE)),
        (["--clinic", "   "], ("error: --clinic: '   ' is blank", CLINIC_RULE)),
        (
            ["--clinic", "c" * 65],
            (f"error: --clinic: '{'c' * 65}' is longer than 64 characters", CLINIC_RULE),
        ),
        (
            ["--clinic", "a\tb"],
            ("error: --clinic: 'a\\tb' contains a control character", CLINIC_RULE),
        ),
        (["--clinic", "c", "--name", ""], ("error: --name: '' is empty", NAME_RULE)),
        (["--clinic", "c", "--name", " "], ("error: --name: ' ' is blank", NAME_RULE)),
        (
            ["--clinic", "c", "--name", "n" * 65],
            (f"error: --name: '{'n' * 65}' is longer than 64 characters", NAME_RULE),
        ),
        (
            ["--clinic", "c", "--name", "a\x1b[2Jb"],
            ("error: --name: 'a\\x1b[2Jb' contains a control character", NAME_RULE),
        ),
        (
            [],
            (
                "error: --clinic: a compliance_officer token needs at least one clinic",
                "hint: repeat --clinic for each clinic it may act for",
            ),
        ),
        (
            ["--clinic", "c" * 64, "--clinic", "d"],
            (
                f"error: --name: the default name 'compliance_officer-{'c' * 64}-d' "
                "is longer than 64 characters",
                "hint: choose one with --name",
            ),
        ),
    ],
    ids=[
        "slash",
        "blank-clinic",
        "long-clinic",
        "control-clinic",
        "empty-name",
        "blank-name",
        "long-name",
        "control-name",
        "no-clinic",
        "long-default-name",
    ],
)
def test_a_bad_name_or_clinic_id_is_refused_in_one_line_before_anything_is_written(
    sqlite_url: str, args: list[str], expected: tuple[str, str]
) -> None:
    result = _tokens("create", "--role", "compliance_officer", *args, url=sqlite_url)
    assert _one_line_error(result) == expected
    assert not Path(sqlite_url.removeprefix("sqlite+aiosqlite:///")).exists()


def test_an_admin_token_with_a_clinic_is_refused_since_it_would_act_for_every_clinic(
    sqlite_url: str,
) -> None:
    result = _tokens("create", "--role", "admin", "--clinic", "clinic-a", url=sqlite_url)
    assert _one_line_error(result) == (
        "error: --clinic: an admin token acts for every clinic",
        "hint: leave out --clinic, or choose a role that a clinic can scope",
    )


async def test_a_revoked_tokens_name_can_be_given_to_a_new_token(database_url: str) -> None:
    create = ("create", "--role", "publisher", "--clinic", "clinic-a", "--name", "anna")
    first = _tokens(*create, url=database_url)
    assert first.returncode == 0, first.stderr
    live = _tokens(*create, url=database_url)
    assert _one_line_error(live) == (
        "error: --name: a token named 'anna' already exists",
        "hint: revoke that token first, or choose another name",
    )
    assert _tokens("revoke", "anna", url=database_url).returncode == 0
    second = _tokens(*create, url=database_url)
    assert second.returncode == 0, second.stderr
    old, new = first.stdout.split()[-1], second.stdout.split()[-1]
    revoked, reissued = _listed_names(database_url)
    assert revoked.startswith("anna@revoked-")
    assert reissued == "anna"
    engine = create_engine(database_url)
    try:
        store = SqlTokenStore(engine=engine)
        assert await store.authenticate(old) is None
        principal = await store.authenticate(new)
        assert principal is not None
        assert principal.name == "anna"
    finally:
        await engine.dispose()


async def test_a_stored_empty_clinic_id_is_listed_quoted_rather_than_as_all(
    database_url: str,
) -> None:
    # Rows written before the CLI checked names and clinic ids.
    engine = create_engine(database_url)
    try:
        await upgrade_schema(engine)
        store = SqlTokenStore(engine=engine)
        now = datetime.now(UTC)
        await store.create(name="old", role=Role.COMPLIANCE_OFFICER, clinics=[""], now=now)
        await store.create(name="a\x1b[2Jb", role=Role.PUBLISHER, clinics=["c"], now=now)
    finally:
        await engine.dispose()
    listed = _tokens("list", url=database_url)
    assert listed.returncode == 0, listed.stderr
    rows = [[cell.strip() for cell in line.split("│")[1:4]] for line in listed.stdout.splitlines()]
    assert ["old", "compliance_officer", "''"] in rows
    assert ["'a\\x1b[2Jb'", "publisher", "c"] in rows
    assert "\x1b" not in listed.stdout
