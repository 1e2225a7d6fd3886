"""``docs/RELIABILITY.md``: the fault suite's figures, written by the suite itself."""

from __future__ import annotations

import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tests.faults.support import Outcome

__all__ = ["Reliability", "ScenarioFigures"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioFigures:
    scenario: str
    injected: str
    acknowledged: int
    recorded: int
    lost: int
    duplicated: int
    rejected: int
    recovery_seconds: float
    """From the last fault's end (restart, server back) until the log and the read
    models hold everything."""
    checks: str
    """What else was checked and held (chains, rebuild, HTTP answers)."""

    @classmethod
    def counted(
        cls,
        outcome: Outcome,
        *,
        scenario: str,
        injected: str,
        recovery_seconds: float,
        checks: str,
    ) -> ScenarioFigures:
        """The row of a scenario whose counts are ``outcome``'s."""
        return cls(
            scenario=scenario,
            injected=injected,
            acknowledged=outcome.acknowledged,
            recorded=outcome.recorded,
            lost=outcome.lost,
            duplicated=outcome.duplicated,
            rejected=outcome.rejected,
            recovery_seconds=recovery_seconds,
            checks=checks,
        )


_PRODUCTION = (
    "## What production must be set to for no loss",
    "",
    "The embedded broker keeps its data in memory and runs one replica: a restart empties",
    "it, which is why the broker scenario above checks only that nothing is acknowledged",
    "that the broker did not take.",
    "",
    "It also comes back without its topics, and acknowledges sends to a topic it no longer",
    "has while keeping none of them. So after a send fails, kapaudit's publishers ask the",
    "broker for the topic before their next send, and answer 503 while it is missing",
    "(`services/adapters/kafka/topic_doubts.py`). Clinic systems publishing straight to a",
    "broker that forgets its topics have no such check; Apache Kafka keeps its topics.",
    "",
    "A production Kafka keeps the recorder's promise only with these settings:",
    "",
    "- producers (clinic systems, kapaudit's API and access log): `acks=all`, so a publish",
    "  is acknowledged only once every in-sync replica has it (kapaudit's own producers",
    "  use it);",
    "- topics: replication factor 3 and `min.insync.replicas=2`, so an acknowledged event",
    "  survives the loss of any one broker, and a partition with only one replica left",
    "  refuses writes instead of acknowledging what one disk holds;",
    "- brokers: `unclean.leader.election.enable=false` (the default), so a replica that",
    "  missed acknowledged events never becomes leader and drops them;",
    "- the recorder commits offsets only after the database commit (a crash between the",
    "  two redelivers the batch, and the log's event-id check records it once), so the",
    "  consumer's `enable.auto.commit` stays off, as kapaudit sets it.",
    "",
    "PostgreSQL: `fsync=on` and `synchronous_commit=on` (the defaults); with a replica,",
    "`synchronous_standby_names` set, so a commit the recorder saw survives a failover.",
    "",
    "## Also standing in the suite",
    "",
    "- Hostile input (`tests/hostile/`): a corpus of malformed JSON, invalid UTF-8,",
    "  non-finite and huge numbers, deep nesting, sizes at and over each limit (the",
    "  dead-letter one included), unknown fields, wrong types, naive and year-9999",
    "  timestamps, conflicting ids, null keys and values, and SQL, HTML and terminal",
    "  escapes in every string field of every event type, sent straight to Kafka and",
    "  through `POST /v1/events` on both stores. Each lands with its reason (or, if",
    "  valid, exactly as sent), and a canary before and after each one, on the same",
    "  partition, is recorded.",
    "- Authorization (`tests/dashboard/test_authorization_matrix.py`): every role x every",
    "  route of the API and dashboard, generated from the app's route table, x own clinic,",
    "  another clinic and a missing id; a route without a rule fails the suite.",
    "- Rate limits: per token, `429` with `Retry-After`, and a tighter budget for",
    "  whole-log checks and exports (docs/API.md).",
)


class Reliability:
    """Collects each scenario's figures; ``write`` renders them as one table."""

    def __init__(self, *, full: bool) -> None:
        self.full = full
        self.rows: list[ScenarioFigures] = []

    def add(self, figures: ScenarioFigures) -> None:
        self.rows.append(figures)

    def write(self, path: Path) -> None:
        mode = (
            "full (`make test-faults`)"
            if self.full
            else "short (CI's form; `make test-faults` runs the full one)"
        )
        lines = [
            "# Reliability: kapaudit under injected faults",
            "",
            "Generated by the fault suite (`tests/faults/`); do not edit by hand. Every scenario",
            "runs the real parts as separate OS processes (the embedded Kafka broker Tansu, a",
            "private PostgreSQL server, and the `kapaudit record`, `project` and `serve`",
            "processes), injects its fault, then counts: every event a publisher was told was",
            "accepted is in the log exactly once, the hash chains verify, and the read models",
            "equal a fresh rebuild from the log.",
            "",
            f"Run: {mode}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python "
            f"{platform.python_version()}, {platform.system()} {platform.machine()}.",
            "",
            "| Scenario | Injected | Acknowledged | Recorded | Lost | Duplicated | Rejected "
            "| Recovery (s) | Also checked |",
            "|---|---|---:|---:|---:|---:|---:|---:|---|",
        ]
        for row in self.rows:
            lines.append(
                f"| {row.scenario} | {row.injected} | {row.acknowledged:,} | {row.recorded:,} "
                f"| {row.lost} | {row.duplicated} | {row.rejected} "
                f"| {row.recovery_seconds:.1f} | {row.checks} |"
            )
        lines += [
            "",
            "Acknowledged: events whose publish the broker acknowledged (over HTTP:",
            "answered 202). Recorded: log entries, which include the API's own access-log",
            "entries for the reads a scenario makes. Lost: acknowledged but not in the log.",
            "Duplicated: log entries beyond the first for one event id. Rejected: messages",
            "the recorder refused, each kept in `rejected_events` with its reason. Recovery:",
            "from the end of the last fault until the log and every read model hold",
            "everything.",
            "",
            *_PRODUCTION,
        ]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
