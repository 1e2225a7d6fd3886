"""The query port (``services.reading.queries.HistoryQueries``) on the SQL read models:
timelines, verdicts, reports, the ledger, with the verdicts the projector stored."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from projections import (
    PatientHistory,
    ProfileHistory,
    ProtocolProfile,
    Recorded,
    SessionHistory,
    patient_key_of,
)
from projections.compliance import SessionVerdict, VerdictSummary
from services.adapters.sql.read_model_tables import proj_patients, proj_profiles, proj_sessions
from services.adapters.sql.tables import event_log
from services.adapters.sql.types import codepoint_order
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
from services.reading.queries import HistoryQueries, readable_events

__all__ = ["SqlComplianceQueries"]


class SqlComplianceQueries(HistoryQueries):
    """``HistoryQueries`` on the SQL read models, serving a stored verdict while it still
    reads as judging would (``verdict_store.servable``)."""

    def __init__(
        self, *, engine: AsyncEngine, clock: Clock, zones: ClinicZones | None = None
    ) -> None:
        super().__init__(clock=clock, zones=zones)
        self._engine = engine

    async def profile_history(self, clinic_ids: Iterable[str]) -> ProfileHistory:
        ids = sorted(set(clinic_ids))
        query = select(proj_profiles.c.history_json).where(proj_profiles.c.clinic_id.in_(ids))
        async with self._engine.connect() as connection:
            rows = (await connection.execute(query)).scalars().all()
        return ProfileHistory(ProtocolProfile.from_document(json.loads(row)) for row in rows)

    async def verdict(self, session_id: str, *, as_of: datetime | None = None) -> SessionVerdict:
        """The stored verdict while it still reads as judging would, else judged."""
        instant = as_of or self._clock.now()
        query = stored_rows_query().where(proj_sessions.c.session_id == session_id)
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).one_or_none()
        if row is not None and row.verdict_json is not None:
            profiles = await self.profile_history([row.clinic_id])
            zone = zone_key(self._zones, row.clinic_id)
            if servable(row, as_of=instant, zone=zone, profiles=profiles):
                return stored_verdict(row, as_of=instant)
        return await super().verdict(session_id, as_of=instant)

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

    async def sessions(
        self, clinic_id: str, *, start: datetime, end: datetime, margin_days: int = 0
    ) -> list[SessionHistory]:
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

    async def _access_records(
        self, clinic_id: str, *, start: datetime, end: datetime, patient_id: str | None
    ) -> Iterable[Recorded]:
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
        return list(readable_events(rows))

    async def clinic_and_patient_of(self, session_id: str) -> tuple[str, str] | None:
        query = select(proj_sessions.c.clinic_id, proj_sessions.c.patient_id).where(
            proj_sessions.c.session_id == session_id
        )
        async with self._engine.connect() as connection:
            row = (await connection.execute(query)).one_or_none()
        return None if row is None else (row.clinic_id, row.patient_id)

    async def clinics(self) -> list[str]:
        clinic = codepoint_order(proj_sessions.c.clinic_id).label("clinic_id")
        query = select(clinic).distinct().order_by(clinic)
        async with self._engine.connect() as connection:
            return list((await connection.execute(query)).scalars())

    async def _session(self, session_id: str) -> SessionHistory | None:
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(proj_sessions.c.history_json).where(
                        proj_sessions.c.session_id == session_id
                    )
                )
            ).scalar_one_or_none()
        return None if row is None else SessionHistory.from_document(json.loads(row))

    async def patients(self, clinic_id: str, patient_ids: set[str]) -> dict[str, PatientHistory]:
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
