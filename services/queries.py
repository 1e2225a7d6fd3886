"""The Python query API of the read models: timelines, verdicts, reports, the ledger."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from events import EventRejected, Protocol, read_stored_event
from projections import (
    PatientHistory,
    ProfileHistory,
    ProfileVersion,
    ProtocolProfile,
    Recorded,
    SessionHistory,
    patient_key_of,
)
from projections.access import AccessReport, build_access_report
from projections.compliance import Profile, SessionVerdict, VerdictSummary
from projections.ledger import Ledger, build_ledger
from projections.reports import ClinicReport, build_clinic_report
from projections.timeline import Timeline, build_timeline
from projections.verdicts import judge
from services.adapters.sql.read_model_tables import proj_patients, proj_profiles, proj_sessions
from services.adapters.sql.tables import event_log
from services.adapters.sql.verdict_store import (
    servable,
    stored_rows_query,
    stored_start,
    stored_summary,
    stored_verdict,
    zone_key,
)
from services.clinic_zones import ClinicZones
from services.clock import Clock
from services.reading.ports import SessionNotFoundError

__all__ = ["ComplianceQueries", "SessionNotFoundError", "SessionView"]

_log = logging.getLogger("kapaudit.queries")


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionView:
    """Everything a page about one session shows, as of one instant."""

    history: SessionHistory
    verdict: SessionVerdict
    timeline: Timeline
    profile: Profile | None = None
    """The session's protocol profile in force at the instant; None without a protocol."""


class ComplianceQueries:
    """Answers a compliance officer's questions as of any instant (default: now)."""

    def __init__(
        self, *, engine: AsyncEngine, clock: Clock, zones: ClinicZones | None = None
    ) -> None:
        self._engine = engine
        self._clock = clock
        # None: sentences keep each session's own clock (as before clinics had zones).
        self._zones = zones

    async def profile_history(self, clinic_ids: Iterable[str]) -> ProfileHistory:
        """Every profile version of these clinics, from the log's ``profile.changed``
        (a clinic and protocol without any has only the shipped defaults, version 0)."""
        ids = sorted(set(clinic_ids))
        query = select(proj_profiles.c.history_json).where(proj_profiles.c.clinic_id.in_(ids))
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).scalars().all()
        return ProfileHistory(ProtocolProfile.from_document(json.loads(row)) for row in rows)

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
        """The session's verdict: the stored one while it still reads as judging would
        (``verdict_store.servable``), else judged from the histories."""
        instant = as_of or self._clock.now()
        query = stored_rows_query().where(proj_sessions.c.session_id == session_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).one_or_none()
        if row is not None and row.verdict_json is not None:
            profiles = await self.profile_history([row.clinic_id])
            zone = zone_key(self._zones, row.clinic_id)
            if servable(row, as_of=instant, zone=zone, profiles=profiles):
                return stored_verdict(row, as_of=instant)
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
        """``verdicts``' verdicts with each session's start, without loading a history
        whose stored verdict still holds: one read of the period's stored rows, and the
        stale or missing ones judged as ``verdicts`` does."""
        instant = as_of or self._clock.now()
        answered = await self._stored_or_judged(
            clinic_id, start=start, end=end, as_of=instant, documents=True
        )
        return [
            (stored_verdict(row, as_of=instant) if judged is None else judged, when)
            for row, judged, when in answered
        ]

    async def _summaries(
        self, clinic_id: str, *, start: datetime, end: datetime, as_of: datetime
    ) -> list[tuple[VerdictSummary, datetime | None]]:
        """``judged_starts`` as a report counts them: stored rows that still hold are read
        from their columns, without fetching or decoding their rules."""
        answered = await self._stored_or_judged(
            clinic_id, start=start, end=end, as_of=as_of, documents=False
        )
        return [
            (stored_summary(row) if judged is None else judged.summary(), when)
            for row, judged, when in answered
        ]

    async def _stored_or_judged(
        self, clinic_id: str, *, start: datetime, end: datetime, as_of: datetime, documents: bool
    ) -> list[tuple[Any, SessionVerdict | None, datetime | None]]:
        """The period's sessions in start order, each as its stored row, the verdict judged
        now when the row does not hold at ``as_of`` (None when it does), and its start;
        sessions with nothing recorded by ``as_of`` are left out."""
        query = (
            stored_rows_query(documents=documents)
            .where(proj_sessions.c.clinic_id == clinic_id)
            .where(proj_sessions.c.session_start >= start)
            .where(proj_sessions.c.session_start < end)
            .order_by(proj_sessions.c.session_start, proj_sessions.c.session_id)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).all()
        profiles = await self.profile_history([clinic_id])
        zone = zone_key(self._zones, clinic_id)
        held = {
            r.session_id for r in rows if servable(r, as_of=as_of, zone=zone, profiles=profiles)
        }
        again = [r.session_id for r in rows if r.session_id not in held]
        judged: dict[str, tuple[SessionVerdict, datetime | None]] = {}
        if again:
            sessions = [s for s in await self._histories(again) if s.as_of(as_of).events]
            verdicts = await self.judge_sessions(sessions, as_of=as_of)
            for session, verdict in zip(sessions, verdicts, strict=True):
                judged[session.session_id] = (
                    verdict,
                    session.scheduled_start or session.first_occurred_at,
                )
        answered: list[tuple[Any, SessionVerdict | None, datetime | None]] = []
        for row in rows:
            if row.session_id in held:
                answered.append((row, None, stored_start(row)))
            elif row.session_id in judged:
                answered.append((row, *judged[row.session_id]))
        return answered

    async def _histories(self, session_ids: Sequence[str]) -> list[SessionHistory]:
        histories: list[SessionHistory] = []
        async with self._engine.connect() as connection:
            for start in range(0, len(session_ids), 500):
                rows = await connection.execute(
                    select(proj_sessions.c.history_json).where(
                        proj_sessions.c.session_id.in_(session_ids[start : start + 500])
                    )
                )
                histories.extend(
                    SessionHistory.from_document(json.loads(r)) for r in rows.scalars()
                )
        return histories

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

    async def sessions(
        self, clinic_id: str, *, start: datetime, end: datetime, margin_days: int = 0
    ) -> list[SessionHistory]:
        """The clinic's sessions starting in ``[start, end)``, by start."""
        margin = timedelta(days=margin_days)
        query = (
            select(proj_sessions.c.history_json)
            .where(proj_sessions.c.clinic_id == clinic_id)
            .where(proj_sessions.c.session_start >= start - margin)
            .where(proj_sessions.c.session_start < end + margin)
            .order_by(proj_sessions.c.session_start, proj_sessions.c.session_id)
        )
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).scalars()
            return [SessionHistory.from_document(json.loads(row)) for row in rows]

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
        query = (
            select(event_log.c.position, event_log.c.recorded_at, event_log.c.event_json)
            .where(event_log.c.event_type == "access.recorded")
            .where(event_log.c.clinic_id == clinic_id)
            .where(event_log.c.occurred_at >= start, event_log.c.occurred_at < end)
        )
        if patient_id is not None:
            query = query.where(event_log.c.patient_id == patient_id)
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query.order_by(event_log.c.position))).all()
        return build_access_report(
            _readable(rows),
            clinic_id=clinic_id,
            patient_id=patient_id,
            token_name=token_name,
            outcome=outcome,
            excluded_reader=excluded_reader,
        )

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

    async def clinic_and_patient_of(self, session_id: str) -> tuple[str, str] | None:
        """The session's clinic and patient ids, None when unknown; its history is not read.

        Cheap, so a reader's scope can be checked before anything about the session is
        loaded: refusing another clinic's session then costs what refusing a missing one does.
        """
        query = select(proj_sessions.c.clinic_id, proj_sessions.c.patient_id).where(
            proj_sessions.c.session_id == session_id
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).one_or_none()
        return None if row is None else (row.clinic_id, row.patient_id)

    async def session_and_patient(
        self, session_id: str
    ) -> tuple[SessionHistory, PatientHistory | None]:
        """A session's history and its patient's; SessionNotFoundError when unknown."""
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(proj_sessions.c.history_json).where(
                        proj_sessions.c.session_id == session_id
                    )
                )
            ).scalar_one_or_none()
        if row is None:
            raise SessionNotFoundError(session_id)
        session = SessionHistory.from_document(json.loads(row))
        patients = await self.patients(session.clinic_id, {session.patient_id})
        return session, patients.get(session.patient_id)

    async def patients(self, clinic_id: str, patient_ids: set[str]) -> dict[str, PatientHistory]:
        """Patient histories by patient id (patients with none are absent)."""
        keys = [patient_key_of(clinic_id=clinic_id, patient_id=p) for p in sorted(patient_ids)]
        histories: dict[str, PatientHistory] = {}
        async with self._engine.connect() as connection:
            for start in range(0, len(keys), 500):
                rows = await connection.execute(
                    select(proj_patients.c.history_json).where(
                        proj_patients.c.patient_key.in_(keys[start : start + 500])
                    )
                )
                for history_json in rows.scalars():
                    history = PatientHistory.from_document(json.loads(history_json))
                    histories[history.patient_id] = history
        return histories


def _readable(rows: Iterable[Any]) -> Iterator[Recorded]:
    """Log rows as events; one the contract no longer reads is logged and left out, so a
    single stored event never makes a whole report fail (the projector keeps it on record
    in ``projection_faults`` too)."""
    for row in rows:
        try:
            event = read_stored_event(row.event_json)
        except EventRejected as unreadable:
            _log.error("log position %d left out of a report: %s", row.position, unreadable)
            continue
        yield Recorded(event=event, position=row.position, recorded_at=row.recorded_at)
