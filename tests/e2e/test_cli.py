"""The ``kapaudit`` CLI end to end, as a subprocess, as an operator would run it."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from base64 import b64decode
from datetime import UTC, datetime
from pathlib import Path

from services.adapters.sql import SqlEventStore, create_engine, upgrade_schema
from services.adapters.sql.checkpoint_store import SqlCheckpointStore
from services.adapters.sql.stored_projections import STORED_PROJECTIONS
from services.chain.checkpoint import open_checkpoint
from services.chain.merkle import verify_consistency, verify_inclusion
from services.chain.note import Signer, Verifier
from tests.factories import session_documents, stored_under_a_looser_contract, valid

ROOT = Path(__file__).resolve().parents[2]
KAPAUDIT = [sys.executable, "-m", "services.cli.main"]
ORIGIN = "kapaudit.local/log"


def _run(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KAPAUDIT, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


async def _sqlite_log_with_events(path: Path, count: int) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    docs = session_documents("s-cli", count, start=datetime(2026, 11, 25, tzinfo=UTC))
    await SqlEventStore(engine=engine).record(
        valid=[valid(d) for d in docs], invalid=[], recorded_at=datetime.now(UTC)
    )
    await engine.dispose()
    return url


async def test_verify_reports_an_intact_log_and_exits_zero(tmp_path: Path) -> None:
    url = await _sqlite_log_with_events(tmp_path / "log.db", 5)
    result = _run("verify", "--json", env={"KAPAUDIT_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["intact"], report["events"], report["streams"]) == (True, 5, 1)


async def test_verify_writes_its_result_for_the_textfile_collector(tmp_path: Path) -> None:
    url = await _sqlite_log_with_events(tmp_path / "log.db", 5)
    prom = tmp_path / "kapaudit_verify.prom"
    result = _run("verify", "--metrics-file", str(prom), env={"KAPAUDIT_DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    lines = prom.read_text().splitlines()
    assert "kapaudit_verification_intact 1.0" in lines
    assert "kapaudit_verification_events 5.0" in lines
    assert 'kapaudit_verifications_total{result="intact"} 1.0' in lines


async def test_verify_names_the_row_an_attacker_changed_and_exits_non_zero(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    url = await _sqlite_log_with_events(path, 5)
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TRIGGER event_log_no_update")
        position, event_id = connection.execute(
            "SELECT position, event_id FROM event_log WHERE sequence = 4"
        ).fetchone()
        connection.execute(
            'UPDATE event_log SET event_json = replace(event_json, \'"sedation":"none"\', '
            '\'"sedation":"mild"\') WHERE position = ?',
            (position,),
        )
    result = _run("verify", env={"KAPAUDIT_DATABASE_URL": url, "COLUMNS": "250"})
    assert result.returncode == 1
    assert event_id in result.stdout
    assert "modified" in result.stdout
    as_json = json.loads(_run("verify", "--json", env={"KAPAUDIT_DATABASE_URL": url}).stdout)
    assert [(b["event_id"], b["sequence"], b["problem"]) for b in as_json["broken"]] == [
        (event_id, 4, "modified")
    ]


async def test_verify_reports_a_session_owner_the_log_does_not_found_and_exits_non_zero(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    url = await _sqlite_log_with_events(path, 2)
    with sqlite3.connect(path) as connection:
        connection.execute("INSERT INTO session_owners VALUES ('s-squat', 'clinic-x', 'pt-x')")
    result = _run("verify", "--json", env={"KAPAUDIT_DATABASE_URL": url})
    assert result.returncode == 1
    [link] = json.loads(result.stdout)["broken"]
    assert (link["stream_id"], link["problem"]) == ("clinic-x/session/s-squat", "ownership")


def test_a_cli_error_is_one_line_and_a_hint_without_a_traceback() -> None:
    result = _run(
        "verify",
        env={"KAPAUDIT_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none"},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith("error: cannot use the database")
    assert lines[-1].startswith("hint: check KAPAUDIT_DATABASE_URL")
    assert "Traceback" not in result.stderr


def test_record_without_a_broker_setting_says_what_to_set() -> None:
    result = _run("record", env={"KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": ""})
    assert result.returncode == 2
    assert "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS is not set" in result.stderr


def test_db_roles_prints_the_roles_and_every_grant_as_sql() -> None:
    result = _run("db", "roles", "--prefix", "kap", "--schema", "audit", env={})
    assert result.returncode == 0, result.stderr
    assert 'GRANT SELECT, INSERT ON "audit"."event_log" TO "kap_recorder";' in result.stdout
    assert 'GRANT USAGE, CREATE ON SCHEMA "audit" TO "kap_owner";' in result.stdout
    assert "UPDATE" not in "".join(
        line for line in result.stdout.splitlines() if "event_log" in line
    )


def test_db_roles_refuses_a_prefix_that_is_not_a_plain_name_in_one_line() -> None:
    result = _run("db", "roles", "--prefix", "Kap;", env={})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("hint: ")
    assert "Traceback" not in result.stderr


def test_db_roles_apply_on_sqlite_says_it_has_no_roles(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roles.db'}"
    result = _run("db", "roles", "--apply", env={"KAPAUDIT_DATABASE_URL": url})
    assert result.returncode == 2
    assert "SQLite, which has no roles" in result.stderr
    assert not (tmp_path / "roles.db").exists()


def test_tokens_are_created_once_listed_without_the_secret_and_revoked(tmp_path: Path) -> None:
    env = {"KAPAUDIT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'tokens.db'}"}
    created = _run(
        "tokens",
        "create",
        "--role",
        "compliance_officer",
        "--clinic",
        "clinic-a",
        "--name",
        "anna",
        env=env,
    )
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("kap_")
    listed = _run("tokens", "list", env={**env, "COLUMNS": "200"})
    assert "anna" in listed.stdout
    assert "compliance_officer" in listed.stdout
    assert token not in listed.stdout
    assert _run("tokens", "revoke", "anna", env=env).returncode == 0
    again = _run("tokens", "revoke", "anna", env=env)
    assert again.returncode == 2
    assert "no live token named 'anna'" in again.stderr
    bad = _run("tokens", "create", "--role", "overlord", env=env)
    assert bad.returncode == 2
    assert "--role: unknown role 'overlord'" in bad.stderr


async def test_a_rebuild_skips_an_unreadable_event_and_projections_faults_lists_it(
    tmp_path: Path,
) -> None:
    url = await _sqlite_log_with_events(tmp_path / "log.db", 3)
    engine = create_engine(url)
    legacy_id, legacy = stored_under_a_looser_contract("s-cli")
    await SqlEventStore(engine=engine).record(
        valid=[legacy], invalid=[], recorded_at=datetime.now(UTC)
    )
    await engine.dispose()
    env = {"KAPAUDIT_DATABASE_URL": url}

    rebuilt = _run("projections", "rebuild", env=env)
    listed = _run("projections", "faults", env=env)

    assert rebuilt.returncode == 0, rebuilt.stderr
    # Each of the 4 events passes through every stored projection, the unreadable one too.
    assert f"{4 * len(STORED_PROJECTIONS)} events folded" in rebuilt.stdout
    assert listed.returncode == 1
    assert legacy_id in listed.stdout
    assert "dose_mg" in listed.stdout


def _create_key(path: Path) -> str:
    result = _run("keys", "create", "--out", str(path), env={})
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_keys_create_writes_a_private_key_file_and_prints_its_verifier(tmp_path: Path) -> None:
    path = tmp_path / "signing.key"
    verifier = _create_key(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert Signer.parse(path.read_text().strip()).verifier == Verifier.parse(verifier)
    again = _run("keys", "create", "--out", str(path), env={})
    assert again.returncode == 2
    assert "exists already" in again.stderr
    assert Signer.parse(path.read_text().strip()).verifier == Verifier.parse(verifier)


def test_keys_verifier_prints_the_public_key_of_the_configured_signing_key(
    tmp_path: Path,
) -> None:
    path = tmp_path / "signing.key"
    verifier = _create_key(path)
    shown = _run("keys", "verifier", env={"KAPAUDIT_SIGNING_KEY_FILE": str(path)})
    assert (shown.returncode, shown.stdout.strip()) == (0, verifier)
    missing = _run("keys", "verifier", env={"KAPAUDIT_DATA_DIR": str(tmp_path / "empty")})
    assert missing.returncode == 2
    assert "no signing key configured" in missing.stderr


async def test_checkpoint_signs_and_stores_the_current_tree_head(tmp_path: Path) -> None:
    url = await _sqlite_log_with_events(tmp_path / "log.db", 5)
    verifier = _create_key(tmp_path / "signing.key")
    env = {"KAPAUDIT_DATABASE_URL": url, "KAPAUDIT_SIGNING_KEY_FILE": str(tmp_path / "signing.key")}
    result = _run("checkpoint", env=env)
    assert result.returncode == 0, result.stderr
    engine = create_engine(url)
    try:
        stored = await SqlCheckpointStore(engine=engine).latest()
    finally:
        await engine.dispose()
    assert stored is not None
    opened = open_checkpoint(
        stored.note_text, verifiers=[Verifier.parse(verifier)], origin="kapaudit.local/log"
    )
    assert (opened.checkpoint.size, opened.checkpoint.root_hash.hex()) == (5, stored.root_hash)


async def test_verify_names_a_truncated_tail_the_chains_cannot_see(tmp_path: Path) -> None:
    path = tmp_path / "log.db"
    url = await _sqlite_log_with_events(path, 5)
    env = {"KAPAUDIT_DATABASE_URL": url, "KAPAUDIT_SIGNING_KEY_FILE": str(tmp_path / "k.key")}
    _create_key(tmp_path / "k.key")
    assert _run("checkpoint", env=env).returncode == 0
    intact = json.loads(_run("verify", "--json", env=env).stdout)
    assert (intact["intact"], intact["checkpoint"]["size"]) == (True, 5)
    assert len(intact["checkpoint"]["signed_by"]) == 1
    with sqlite3.connect(path) as connection:
        connection.execute("DROP TRIGGER event_log_no_delete")
        connection.execute("DELETE FROM event_log WHERE sequence = 5")
    result = _run("verify", env={**env, "COLUMNS": "250"})
    assert result.returncode == 1
    assert "truncated: the log holds 4 entries, 1 fewer than the checkpoint of size 5" in (
        result.stdout
    )


async def test_verify_against_a_copy_catches_a_truncation_whose_checkpoints_were_deleted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.db"
    url = await _sqlite_log_with_events(path, 5)
    env = {"KAPAUDIT_DATABASE_URL": url, "KAPAUDIT_SIGNING_KEY_FILE": str(tmp_path / "k.key")}
    _create_key(tmp_path / "k.key")
    assert _run("checkpoint", env=env).returncode == 0
    copy = tmp_path / "checkpoint.txt"
    with sqlite3.connect(path) as connection:
        copy.write_text(connection.execute("SELECT note_text FROM checkpoints").fetchone()[0])
        # The database's owner covers their tracks: the tail and every checkpoint go.
        for table in ("event_log", "merkle_leaves", "checkpoints"):
            connection.execute(f"DROP TRIGGER {table}_no_delete")
        connection.execute("DELETE FROM checkpoints")
        connection.execute("DELETE FROM event_log WHERE sequence = 5")
        connection.execute("DELETE FROM merkle_leaves WHERE leaf_index = 4")
    blind = _run("verify", env=env)
    assert "no checkpoint to check against" in blind.stdout
    result = _run("verify", "--checkpoint", str(copy), env={**env, "COLUMNS": "250"})
    assert result.returncode == 1
    assert f"truncated: the log holds 4 entries, 1 fewer than checkpoint {copy} of size 5" in (
        result.stdout.replace("\n", "")
    )


async def test_prove_prints_proofs_that_check_against_the_signed_checkpoints(
    tmp_path: Path,
) -> None:
    url = await _sqlite_log_with_events(tmp_path / "log.db", 5)
    verifier = Verifier.parse(_create_key(tmp_path / "k.key"))
    env = {"KAPAUDIT_DATABASE_URL": url, "KAPAUDIT_SIGNING_KEY_FILE": str(tmp_path / "k.key")}
    assert _run("checkpoint", env=env).returncode == 0
    engine = create_engine(url)
    try:
        store = SqlEventStore(engine=engine)
        docs = session_documents("s-more", 3, start=datetime(2026, 11, 26, tzinfo=UTC))
        await store.record(
            valid=[valid(d) for d in docs], invalid=[], recorded_at=datetime.now(UTC)
        )
        third = (await store.rows())[2]
    finally:
        await engine.dispose()
    assert _run("checkpoint", env=env).returncode == 0

    included = json.loads(_run("prove", "inclusion", third.event_id, env=env).stdout)
    signed = open_checkpoint(included["checkpoint"], verifiers=[verifier], origin=ORIGIN)
    assert (included["leaf_index"], included["tree_size"]) == (2, 8)
    verify_inclusion(
        b64decode(included["leaf_hash"]),
        2,
        8,
        [b64decode(h) for h in included["hashes"]],
        signed.checkpoint.root_hash,
    )
    old = json.loads(
        _run("prove", "inclusion", third.event_id, "--checkpoint", "5", env=env).stdout
    )
    assert old["tree_size"] == 5

    grown = json.loads(_run("prove", "consistency", "5", "8", env=env).stdout)
    old_root, new_root = (
        open_checkpoint(grown[key], verifiers=[verifier], origin=ORIGIN).checkpoint.root_hash
        for key in ("from_checkpoint", "to_checkpoint")
    )
    verify_consistency(5, 8, old_root, new_root, [b64decode(h) for h in grown["hashes"]])


def test_prove_for_an_event_not_in_the_log_says_so_in_one_line(tmp_path: Path) -> None:
    env = {"KAPAUDIT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'log.db'}"}
    result = _run("prove", "inclusion", "00000000-0000-4000-8000-000000000000", env=env)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        "error: no event 00000000-0000-4000-8000-000000000000 in the log"
    )
