"""``kapaudit report`` and ``kapaudit projections rebuild`` through the CLI."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdfium2
import pytest

from services.adapters.sql import SqlEventStore, create_engine, upgrade_schema
from services.demo import CLINIC_ZONE, PLANTED_LAPSES, demo_day_events
from tests.factories import document, valid

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


async def _access_log(path: Path, reads: list[tuple[str, str]]) -> str:
    """A store at ``path`` holding one read an hour ago per (patient, reader); its URL."""
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    await upgrade_schema(engine)
    now = datetime.now(UTC)
    documents = [
        document(
            "access.recorded",
            occurred_at=(now - timedelta(hours=1)).isoformat(),
            patient_id=patient,
            # A session is one patient's: each patient's reads are of their own session.
            session_id=f"sess-{patient}",
            payload={"token_name": reader},
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
