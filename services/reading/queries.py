"""A compliance officer's questions answered from session, patient and profile histories,
whatever keeps them: the port the API, the CLI and the exports ask through.

``HistoryQueries`` holds the answers; a backend says only how its histories and access
records are read (the abstract methods). The SQL one (``SqlComplianceQueries``) also serves
verdicts it stored while they still hold; the memory one folds the log on demand
(``services.adapters.memory.compliance_queries``). The contract suite checks that both
answer alike.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from events import EventRejected, Protocol, read_stored_event
from projections import PatientHistory, ProfileHistory, ProfileVersion, Recorded, SessionHistory
from projections.access import AccessReport, build_access_report
from projections.compliance import Profile, SessionVerdict, VerdictSummary
from projections.ledger import Ledger, build_ledger
from projections.reports import ClinicReport, build_clinic_report
from projections.timeline import Timeline, build_timeline
from projections.verdicts import judge
from services.clinic_zones import ClinicZones
from services.clock import Clock
from services.reading.ports import SessionNotFoundError

__all__ = ["HistoryQueries", "SessionView", "readable_events"]

_log = logging.getLogger("kapaudit.queries")


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionView:
    """Everything a page about one session shows, as of one instant."""

    history: SessionHistory
    verdict: SessionVerdict
    timeline: Timeline
    profile: Profile | None = None
    """The session's protocol profile in force at the instant; None without a protocol."""


class HistoryQueries(ABC):
    """Answers a compliance officer's questions as of any instant (default: now)."""

    def __init__(self, *, clock: Clock, zones: ClinicZones | None = None) -> None:
        self._clock = clock
        # None: sentences keep each session's own clock (as before clinics had zones).
        self._zones = zones

    # What a backend reads.

    @abstractmethod
    async def profile_history(self, clinic_ids: Iterable[str]) -> ProfileHistory:
        """Every profile version of these clinics, from the log's ``profile.changed``
        (a clinic and protocol without any has only the shipped defaults, version 0)."""

    @abstractmethod
    async def sessions(
        self, clinic_id: str, *, start: datetime, end: datetime, margin_days: int = 0
    ) -> list[SessionHistory]:
        """The clinic's sessions starting in ``[start, end)`` (widened by ``margin_days``
        either side), by start then id; a session starts when it is booked to, or at its
        first event when never booked."""

    @abstractmethod
    async def patients(self, clinic_id: str, patient_ids: set[str]) -> dict[str, PatientHistory]:
        """Patient histories by patient id (patients with none are absent)."""

    @abstractmethod
    async def clinic_and_patient_of(self, session_id: str) -> tuple[str, str] | None:
        """The session's clinic and patient ids, None when unknown; its history is not read.

        Cheap, so a reader's scope can be checked before anything about the session is
        loaded: refusing another clinic's session then costs what refusing a missing one does.
        """

    @abstractmethod
    async def clinics(self) -> list[str]:
        """Every clinic with a session, sorted (an admin's clinic picker)."""

    @abstractmethod
    async def _session(self, session_id: str) -> SessionHistory | None:
        """One session's history, None when unknown."""

    @abstractmethod
    async def _access_records(
        self, clinic_id: str, *, start: datetime, end: datetime, patient_id: str | None
    ) -> Iterable[Recorded]:
        """The clinic's ``access.recorded`` events that occurred in ``[start, end)`` (of
        ``patient_id`` when given), in log order; unreadable ones left out."""

    # The answers.

    async def profile_in_force(
        self, clinic_id: str, protocol: Protocol, *, as_of: datetime | None = None
    ) -> ProfileVersion:
        """The version of the clinic's profile of ``protocol`` in force at ``as_of``."""
        history = await self.profile_history([clinic_id])
        return history.in_force(clinic_id, protocol, as_of=as_of or self._clock.now())

    async def timeline(self, session_id: str, *, as_of: datetime | None = None) -> Timeline:
        session, patient = await self.session_and_patient(session_id)
        return build_timeline(session=session, patient=patient, as_of=as_of or self._clock.now())

    async def view(self, session_id: str, *, as_of: datetime | None = None) -> SessionView:
        """The session's history, verdict and timeline, from one read of its histories."""
        session, patient = await self.session_and_patient(session_id)
        instant = as_of or self._clock.now()
        profiles = await self.profile_history([session.clinic_id])
        protocol = session.as_of(instant).protocol
        return SessionView(
            history=session,
            verdict=self._judge(session, patient, profiles, as_of=instant),
            timeline=build_timeline(session=session, patient=patient, as_of=instant),
            profile=(
                None
                if protocol is None
                else profiles.profile_at(session.clinic_id, protocol, as_of=instant)
            ),
        )

    async def verdict(self, session_id: str, *, as_of: datetime | None = None) -> SessionVerdict:
        """The session's verdict as of ``as_of``, judged from its histories."""
        instant = as_of or self._clock.now()
        session, patient = await self.session_and_patient(session_id)
        profiles = await self.profile_history([session.clinic_id])
        return self._judge(session, patient, profiles, as_of=instant)

    async def clinic_report(
        self, clinic_id: str, *, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> ClinicReport:
        instant = as_of or self._clock.now()
        return build_clinic_report(
            await self._summaries(clinic_id, start=start, end=end, as_of=instant),
            clinic_id=clinic_id,
            start=start,
            end=end,
            as_of=instant,
        )

    async def judged_starts(
        self, clinic_id: str, *, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> list[tuple[SessionVerdict, datetime | None]]:
        """``verdicts``' verdicts, each with its session's start."""
        judged = await self.verdicts(clinic_id, start=start, end=end, as_of=as_of)
        return [(verdict, _start(session)) for session, verdict in judged]

    async def _summaries(
        self, clinic_id: str, *, start: datetime, end: datetime, as_of: datetime
    ) -> list[tuple[VerdictSummary, datetime | None]]:
        """``judged_starts`` as a report counts them."""
        judged = await self.judged_starts(clinic_id, start=start, end=end, as_of=as_of)
        return [(verdict.summary(), when) for verdict, when in judged]

    async def verdicts(
        self, clinic_id: str, *, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> list[tuple[SessionHistory, SessionVerdict]]:
        """Every session of the clinic starting in ``[start, end)`` with its verdict, by start;
        sessions with nothing recorded by ``as_of`` are left out."""
        instant = as_of or self._clock.now()
        sessions = [
            s
            for s in await self.sessions(clinic_id, start=start, end=end)
            if s.as_of(instant).events
        ]
        return list(zip(sessions, await self.judge_sessions(sessions, as_of=instant), strict=True))

    async def judge_sessions(
        self, sessions: Sequence[SessionHistory], *, as_of: datetime | None = None
    ) -> list[SessionVerdict]:
        """Verdicts of sessions already loaded, in their order, with one read of patients."""
        instant = as_of or self._clock.now()
        patients: dict[tuple[str, str], PatientHistory] = {}
        for clinic_id in sorted({s.clinic_id for s in sessions}):
            ids = {s.patient_id for s in sessions if s.clinic_id == clinic_id}
            for patient_id, history in (await self.patients(clinic_id, ids)).items():
                patients[(clinic_id, patient_id)] = history
        profiles = await self.profile_history(s.clinic_id for s in sessions)
        return [
            self._judge(s, patients.get((s.clinic_id, s.patient_id)), profiles, as_of=instant)
            for s in sessions
        ]

    async def ledger(
        self, clinic_id: str, *, start: datetime, end: datetime, as_of: datetime | None = None
    ) -> Ledger:
        # Doses are selected by their own time, so look one day either side of the
        # period for sessions that straddle its edges.
        sessions = await self.sessions(clinic_id, start=start, end=end, margin_days=1)
        return build_ledger(
            sessions, clinic_id=clinic_id, start=start, end=end, as_of=as_of or self._clock.now()
        )

    async def access_report(
        self,
        clinic_id: str,
        *,
        start: datetime,
        end: datetime,
        patient_id: str | None = None,
        token_name: str | None = None,
        outcome: str | None = None,
        excluded_reader: str | None = None,
    ) -> AccessReport:
        """Who read ``clinic_id``'s patient data in ``[start, end)``; the filters are
        ``build_access_report``'s."""
        return build_access_report(
            await self._access_records(clinic_id, start=start, end=end, patient_id=patient_id),
            clinic_id=clinic_id,
            patient_id=patient_id,
            token_name=token_name,
            outcome=outcome,
            excluded_reader=excluded_reader,
        )

    async def session_and_patient(
        self, session_id: str
    ) -> tuple[SessionHistory, PatientHistory | None]:
        """A session's history and its patient's; SessionNotFoundError when unknown."""
        session = await self._session(session_id)
        if session is None:
            raise SessionNotFoundError(session_id)
        patients = await self.patients(session.clinic_id, {session.patient_id})
        return session, patients.get(session.patient_id)

    def _judge(
        self,
        session: SessionHistory,
        patient: PatientHistory | None,
        profiles: ProfileHistory,
        *,
        as_of: datetime,
    ) -> SessionVerdict:
        # The thresholds in force at ``as_of``, not today's: a verdict as of last month
        # stays what it was when a limit changes afterwards.
        return judge(
            session=session,
            patient=patient,
            profile_for=lambda protocol: profiles.profile_at(
                session.clinic_id, protocol, as_of=as_of
            ),
            as_of=as_of,
            # Sentences tell times on the clinic's clock, as every page around them does.
            zone=self._zones.for_clinic(session.clinic_id) if self._zones else None,
        )


def _start(session: SessionHistory) -> datetime | None:
    return session.scheduled_start or session.first_occurred_at


def readable_events(rows: Iterable[Any]) -> Iterator[Recorded]:
    """Log rows (``position``, ``recorded_at``, ``event_json``) as events; one the contract
    no longer reads is logged and left out, so a single stored event never makes a whole
    answer fail (the projector keeps it on record in ``projection_faults`` too)."""
    for row in rows:
        try:
            event = read_stored_event(row.event_json)
        except EventRejected as unreadable:
            _log.error("log position %d left out: %s", row.position, unreadable)
            continue
        yield Recorded(event=event, position=row.position, recorded_at=row.recorded_at)
