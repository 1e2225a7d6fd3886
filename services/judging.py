"""Verdicts for every session of a clinic in a period (the session list, the report CSV)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from projections import SessionHistory
from projections.compliance import SessionVerdict
from services.reading.queries import HistoryQueries

__all__ = ["JudgedSession", "judge", "session_start"]


@dataclass(frozen=True, slots=True, kw_only=True)
class JudgedSession:
    verdict: SessionVerdict
    session_start: datetime | None


def session_start(history: SessionHistory) -> datetime | None:
    """When the session was booked to start; its first event when it was never booked."""
    return history.scheduled_start or history.first_occurred_at


async def judge(
    queries: HistoryQueries, histories: Iterable[SessionHistory], *, as_of: datetime
) -> list[JudgedSession]:
    """Each session's verdict as of ``as_of``, in the order given (the verdicts
    ``HistoryQueries`` gives, judged in one batch)."""
    sessions = list(histories)
    verdicts = await queries.judge_sessions(sessions, as_of=as_of)
    return [
        JudgedSession(verdict=verdict, session_start=session_start(history.as_of(as_of)))
        for history, verdict in zip(sessions, verdicts, strict=True)
    ]
