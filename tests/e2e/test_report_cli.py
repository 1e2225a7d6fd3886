"""``kapaudit report`` and ``kapaudit projections rebuild`` through the CLI.

Reports of patient data record their reads through Kafka first: the module runs one
broker, and every command is pointed at it unless a test says otherwise."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdfium2
import pytest

from events import ACCESS_TOPIC
from services.adapters.sql import SqlEventStore, create_engine, upgrade_schema
from services.adapters.tansu import EmbeddedBroker
from services.demo import CLINIC_ZONE, PLANTED_LAPSES, demo_day_events
from tests.factories import document, valid
from tests.http.serving import closed_port
from tests.http.support import published_events

ROOT = Path(__file__).resolve().parents[2]


def _kapaudit(
    *args: str, url: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        cwd=ROOT,
        env={**os.environ, "KAPAUDIT_DATABASE_URL": url, "COLUMNS": "250", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module", autouse=True)
async def broker() -> AsyncIterator[EmbeddedBroker]:
    """One broker for the module; the commands find it through the environment."""
    async with EmbeddedBroker(port=0) as running:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS", running.bootstrap_servers)
            yield running


async def _cli_reads(
    broker: EmbeddedBroker, resource: str, *, since: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The access records the command line published for ``resource``, but those whose
    ids are in ``since`` (the module's earlier tests ran the same commands)."""
    return [
        event
        for event in await _access_events(broker)
        if event["payload"]["resource"] == resource and event["event_id"] not in since
    ]


async def _seen(broker: EmbeddedBroker) -> frozenset[str]:
    return frozenset(event["event_id"] for event in await _access_events(broker))


async def _access_events(broker: EmbeddedBroker) -> list[dict[str, Any]]:
    try:
        return await published_events(broker.bootstrap_servers, topics=(ACCESS_TOPIC,))
    except AssertionError as error:
        # The first read's publish creates the topic; before it there is nothing to read.
        if "No partitions" in str(error):
            return []
        raise


@pytest.fixture(scope="module")
async def demo_log(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding the demo day, recorded as it happened (no broker needed here)."""
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('report') / 'kapaudit.db'}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    documents = demo_day_events(now=datetime.now(UTC) - timedelta(minutes=5))
    await SqlEventStore(engine=engine).record(
        valid=[valid(d) for d in documents], invalid=[], recorded_at=datetime.now(UTC)
    )
    await engine.dispose()
    return url


def test_the_clinic_report_names_each_planted_lapse_and_its_rule(demo_log: str) -> None:
    result = _kapaudit("report", "clinic", "clinic-demo", "--json", url=demo_log)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    failing = {s["session_id"]: s["failed_rules"] for s in report["failing_sessions"]}
    assert failing == {session: [rule] for session, rule in PLANTED_LAPSES.items()}
    table = _kapaudit("report", "clinic", "clinic-demo", url=demo_log)
    assert "Failures by rule" in table.stdout
    assert all(session in table.stdout for session in PLANTED_LAPSES)


def test_the_session_report_shows_the_failing_rule_with_its_reason(demo_log: str) -> None:
    session, rule = next(iter(sorted(PLANTED_LAPSES.items())))
    result = _kapaudit("report", "session", session, url=demo_log)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if rule in line)
    assert "fail" in line
    as_json = json.loads(_kapaudit("report", "session", session, "--json", url=demo_log).stdout)
    outcomes = {r["rule_id"]: r["outcome"] for r in as_json["verdict"]["rules"]}
    assert outcomes[rule] == "fail"
    assert as_json["timeline"]["entries"]


def test_a_session_report_for_an_unknown_session_is_one_line_and_a_hint(demo_log: str) -> None:
    result = _kapaudit("report", "session", "no-such-session", url=demo_log)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no session 'no-such-session' in the log")


def test_a_report_of_the_demo_days_counts_its_sessions_and_prints_the_instants_used(
    demo_log: str,
) -> None:
    listed = _kapaudit("report", "sessions", "clinic-demo", "--json", url=demo_log)
    assert listed.returncode == 0, listed.stderr
    # Shifted to end just before now, the demo day may straddle two days at the clinic.
    days = sorted(
        datetime.fromisoformat(row["session_start"]).astimezone(CLINIC_ZONE).date()
        for row in json.loads(listed.stdout)["sessions"]
    )
    first, last = str(days[0]), str(days[-1])

    result = _kapaudit(
        "report", "clinic", "clinic-demo", "--from", first, "--to", last, url=demo_log
    )

    assert result.returncode == 0, result.stderr
    header = " ".join(result.stdout.splitlines()[0].split())
    assert header.startswith(f"clinic-demo {first} 00:00 to {days[-1] + timedelta(days=1)} 00:00 ")
    assert "America/Denver (" in header
    assert ": 24 sessions, compliance rate" in header


def test_to_before_from_is_one_line_naming_the_option_and_a_hint(demo_log: str) -> None:
    result = _kapaudit(
        "report",
        "ledger",
        "clinic-demo",
        "--from",
        "2026-12-03",
        "--to",
        "2026-12-01",
        url=demo_log,
    )
    assert result.returncode == 2
    error, hint = result.stderr.splitlines()
    assert error.startswith("error: --to: must not be before 'from'")
    assert hint.startswith("hint: dates are whole days at the clinic, both included")


def test_an_unknown_clinic_time_zone_is_one_line_naming_the_clinic_and_the_value(
    demo_log: str,
) -> None:
    result = _kapaudit(
        "report",
        "clinic",
        "clinic-demo",
        url=demo_log,
        env={"KAPAUDIT_CLINIC_TIMEZONES": '{"clinic-demo": "Mountain Time"}'},
    )
    assert result.returncode == 2
    error, hint = result.stderr.splitlines()
    assert error == (
        "error: KAPAUDIT_CLINIC_TIMEZONES, clinic 'clinic-demo': 'Mountain Time' is not an "
        "IANA time zone name (e.g. America/Denver or UTC)"
    )
    assert "IANA" in hint


def test_the_ledger_shows_the_unwitnessed_waste(demo_log: str) -> None:
    result = _kapaudit("report", "ledger", "clinic-demo", "--json", url=demo_log)
    assert result.returncode == 0, result.stderr
    ledger = json.loads(result.stdout)
    unwitnessed = [
        s for s, r in PLANTED_LAPSES.items() if r == "controlled_substance.waste_witnessed"
    ]
    assert ledger["unwitnessed_waste_sessions"] == unwitnessed
    assert {line["kind"] for line in ledger["lines"]} == {"administered", "wasted"}


def test_rebuilding_the_projections_keeps_the_same_verdicts(demo_log: str) -> None:
    before = json.loads(_kapaudit("report", "clinic", "clinic-demo", "--json", url=demo_log).stdout)
    rebuilt = _kapaudit("projections", "rebuild", url=demo_log)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "rebuilt all projections" in rebuilt.stdout
    after = json.loads(_kapaudit("report", "clinic", "clinic-demo", "--json", url=demo_log).stdout)
    for report in (before, after):
        report.pop("as_of")
        report.pop("start")
        report.pop("end")
    assert after == before


async def _access_log(
    path: Path, reads: list[tuple[str, str]], *, denied: frozenset[str] = frozenset()
) -> str:
    """A store at ``path`` holding one read an hour ago per (patient, reader), refused for
    the readers in ``denied``; its URL."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    now = datetime.now(UTC)
    documents = [
        document(
            "access.recorded",
            occurred_at=(now - timedelta(hours=1)).isoformat(),
            patient_id=patient,
            # A session is one patient's: each patient's reads are of their own session,
            # and a look at the access report (patient `-`) is of none.
            session_id=None if patient == "-" else f"sess-{patient}",
            payload={
                "token_name": reader,
                "outcome": "denied" if reader in denied else "allowed",
            },
        )
        for patient, reader in reads
    ]
    try:
        await SqlEventStore(engine=engine).record(
            valid=[valid(d) for d in documents], invalid=[], recorded_at=now
        )
    finally:
        await engine.dispose()
    return url


async def test_the_access_report_lists_who_read_which_patient(tmp_path: Path) -> None:
    url = await _access_log(
        tmp_path / "access.db", [("pt-1", "anna"), ("pt-2", "anna"), ("pt-1", "ben")]
    )
    result = _kapaudit("report", "access", "clinic-demo", "--patient", "pt-1", "--json", url=url)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(line["token_name"] for line in report["lines"]) == ["anna", "ben"]
    assert report["patients"] == {"pt-1": 2}
    by_reader = _kapaudit("report", "access", "clinic-demo", "--token", "anna", "--json", url=url)
    assert json.loads(by_reader.stdout)["patients"] == {"pt-1": 1, "pt-2": 1}


async def test_the_access_report_table_shows_names_with_brackets_verbatim(tmp_path: Path) -> None:
    url = await _access_log(
        tmp_path / "brackets.db", [("pt-[1]", r) for r in ("[/x]", "[red]evil", "a:smile:b")]
    )
    result = _kapaudit("report", "access", "clinic-demo", url=url)
    assert result.returncode == 0, result.stderr
    rows = [[cell.strip() for cell in line.split("│")] for line in result.stdout.splitlines()]
    readers = [row[2] for row in rows if len(row) > 2]
    assert sorted(readers) == ["[/x]", "[red]evil", "a:smile:b"]
    assert all(row[5] == "pt-[1]" for row in rows if len(row) > 5)


async def test_control_characters_in_an_amendment_reason_are_shown_not_sent_to_the_terminal(
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'escape.db'}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    dose = document("dose.administered")
    amendment = document(
        "record.amended",
        payload={
            "amends_event_id": dose["event_id"],
            "reason": "re-weighed \x1b]0;pwned\x07 before dosing",
            "corrected": {"patient_weight_kg": 72},
        },
    )
    try:
        await SqlEventStore(engine=engine).record(
            valid=[valid(dose), valid(amendment)], invalid=[], recorded_at=datetime.now(UTC)
        )
    finally:
        await engine.dispose()

    result = _kapaudit("report", "session", dose["session_id"], url=url)

    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout
    assert "\x07" not in result.stdout
    assert "re-weighed \\x1b]0;pwned\\x07 before dosing" in result.stdout


async def test_a_session_report_is_recorded_as_the_os_user_on_the_cli_channel_before_it_prints(
    demo_log: str, broker: EmbeddedBroker
) -> None:
    session = next(iter(sorted(PLANTED_LAPSES)))
    before = await _seen(broker)

    result = _kapaudit("report", "session", session, "--json", url=demo_log)

    assert result.returncode == 0, result.stderr
    patient = json.loads(result.stdout)["verdict"]["patient_id"]
    (read,) = await _cli_reads(broker, f"kapaudit report session {session}", since=before)
    assert (read["patient_id"], read["session_id"]) == (patient, session)
    assert read["schema_version"] == 3
    payload = read["payload"]
    assert (payload["channel"], payload["role"], payload["outcome"]) == ("cli", "admin", "allowed")
    assert payload["token_name"].startswith("cli:")
    assert "@" in payload["token_name"]


@pytest.mark.parametrize("command", ["sessions", "clinic", "ledger"])
async def test_a_clinic_report_records_one_read_per_patient_it_printed(
    demo_log: str, broker: EmbeddedBroker, command: str
) -> None:
    before = await _seen(broker)

    result = _kapaudit("report", command, "clinic-demo", "--json", url=demo_log)

    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    shown = {
        "sessions": lambda: {row["patient_id"] for row in body["sessions"]},
        "clinic": lambda: {row["patient_id"] for row in body["failing_sessions"]},
        "ledger": lambda: {line["patient_id"] for line in body["lines"]},
    }[command]()
    reads = await _cli_reads(broker, f"kapaudit report {command} clinic-demo", since=before)
    assert shown
    assert sorted(read["patient_id"] for read in reads) == sorted(shown)
    assert {read["payload"]["channel"] for read in reads} == {"cli"}


async def test_the_access_report_records_one_look_not_one_read_per_patient_it_printed(
    tmp_path: Path, broker: EmbeddedBroker
) -> None:
    url = await _access_log(
        tmp_path / "looks.db", [("pt-1", "anna"), ("pt-2", "anna"), ("pt-3", "ben"), ("-", "carol")]
    )
    before = await _seen(broker)

    result = _kapaudit("report", "access", "clinic-demo", "--outcome", "allowed", "--json", url=url)

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["patients"] == {"pt-1": 1, "pt-2": 1, "pt-3": 1}
    (look,) = await _cli_reads(broker, "kapaudit report access clinic-demo", since=before)
    assert (look["patient_id"], look.get("session_id")) == ("-", None)
    assert look["payload"]["query"]["outcome"] == "allowed"
    assert look["payload"]["channel"] == "cli"
    table = _kapaudit("report", "access", "clinic-demo", url=url)
    assert table.returncode == 0, table.stderr
    assert "none (access report)" in table.stdout


async def test_without_a_broker_a_report_prints_nothing_and_says_so_in_one_line_with_a_hint(
    demo_log: str,
) -> None:
    session = next(iter(sorted(PLANTED_LAPSES)))
    unreachable = f"127.0.0.1:{closed_port()}"

    result = _kapaudit(
        "report", "session", session, url=demo_log,
        env={"KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": unreachable},
    )  # fmt: skip

    assert result.returncode == 2
    assert result.stdout == ""
    # aiokafka's own log lines about the failed connection may surround ours.
    lines = result.stderr.splitlines()
    error = next(line for line in lines if line.startswith("error: "))
    hint = lines[lines.index(error) + 1]
    assert error.startswith(f"error: cannot reach Kafka at {unreachable}")
    assert hint.startswith("hint: reports of patient data are recorded in the access log")


async def test_the_access_report_filters_by_outcome_and_leaves_out_one_reader(
    tmp_path: Path,
) -> None:
    url = await _access_log(
        tmp_path / "filters.db",
        [("pt-1", "anna"), ("pt-2", "mallory"), ("pt-1", "ben")],
        denied=frozenset({"mallory"}),
    )

    denied = _kapaudit("report", "access", "clinic-demo", "--outcome", "denied", "--json", url=url)
    others = _kapaudit(
        "report", "access", "clinic-demo", "--exclude-reader", "anna", "--json", url=url
    )

    assert denied.returncode == 0, denied.stderr
    assert [line["token_name"] for line in json.loads(denied.stdout)["lines"]] == ["mallory"]
    assert json.loads(denied.stdout)["outcome"] == "denied"
    assert sorted(line["token_name"] for line in json.loads(others.stdout)["lines"]) == [
        "ben",
        "mallory",
    ]


def _demo_days(demo_log: str) -> tuple[str, str]:
    listed = json.loads(
        _kapaudit("report", "sessions", "clinic-demo", "--json", url=demo_log).stdout
    )
    days = sorted(
        datetime.fromisoformat(row["session_start"]).astimezone(CLINIC_ZONE).date()
        for row in listed["sessions"]
    )
    return str(days[0]), str(days[-1])


def test_the_clinic_report_as_csv_gives_each_failing_session_its_reasons_in_words(
    demo_log: str,
) -> None:
    result = _kapaudit("report", "clinic", "clinic-demo", "--format", "csv", url=demo_log)

    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 24
    failing = {row["session_id"]: row["failure_reasons"] for row in rows if row["failed_rules"]}
    assert set(failing) == set(PLANTED_LAPSES)
    for session, rule in PLANTED_LAPSES.items():
        reason = failing[session]
        assert reason.startswith(f"{rule}: ")
        assert len(reason) > len(rule) + 20, "a sentence, not just the rule id"


def test_the_clinic_report_as_html_names_the_period_and_the_judging_instant(
    demo_log: str,
) -> None:
    first, last = _demo_days(demo_log)
    result = _kapaudit(
        "report",
        "clinic",
        "clinic-demo",
        "--from",
        first,
        "--to",
        last,
        "--format",
        "html",
        url=demo_log,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("<!DOCTYPE html>")
    assert f"Period {first} to {last} (America/Denver)" in result.stdout
    assert "Judged at" in result.stdout
    assert all(session in result.stdout for session in PLANTED_LAPSES)


def test_the_clinic_report_as_pdf_goes_to_a_file_named_after_clinic_and_period(
    demo_log: str, tmp_path: Path
) -> None:
    first, last = _demo_days(demo_log)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.cli.main",
            "report",
            "clinic",
            "clinic-demo",
            "--from",
            first,
            "--to",
            last,
            "--format",
            "pdf",
        ],
        cwd=tmp_path,
        env={**os.environ, "KAPAUDIT_DATABASE_URL": demo_log, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    written = tmp_path / f"clinic-demo-compliance-report-{first}-to-{last}.pdf"
    assert written.name in result.stdout
    pdf = pypdfium2.PdfDocument(written.read_bytes())
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert len(pdf) >= 2
    assert all(session in text for session in PLANTED_LAPSES)


def test_a_pdf_report_never_overwrites_a_file(demo_log: str, tmp_path: Path) -> None:
    out = tmp_path / "report.pdf"
    out.write_bytes(b"keep me")

    result = _kapaudit(
        "report", "clinic", "clinic-demo", "--format", "pdf", "--out", str(out), url=demo_log
    )

    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {out} exists")
    assert out.read_bytes() == b"keep me"


async def test_a_csv_report_records_every_listed_patient_before_it_prints(
    demo_log: str, broker: EmbeddedBroker
) -> None:
    before = await _seen(broker)

    result = _kapaudit("report", "clinic", "clinic-demo", "--format", "csv", url=demo_log)

    assert result.returncode == 0, result.stderr
    listed = {row["patient_id"] for row in csv.DictReader(io.StringIO(result.stdout))}
    reads = await _cli_reads(broker, "kapaudit report clinic clinic-demo", since=before)
    assert listed
    assert {read["patient_id"] for read in reads} == listed
