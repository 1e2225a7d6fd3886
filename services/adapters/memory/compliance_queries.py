"""The query port on any log reader: the log folded in memory, every verdict judged on
demand. The reference the SQL read models and their stored verdicts must agree with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from projections import (
    PATIENTS,
    PROFILES,
    SESSIONS,
    PatientHistory,
    ProfileHistory,
    ProtocolProfile,
    Recorded,
    SessionHistory,
    fold,
    patient_key_of,
)
from services.clinic_zones import ClinicZones
from services.clock import Clock
from services.reading.queries import HistoryQueries, readable_events
from services.recording.ports import LogReader

__all__ = ["InMemoryComplianceQueries"]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Folded:
    size: int
    sessions: dict[str, SessionHistory]
    patients: dict[str, PatientHistory]
    profiles: dict[str, ProtocolProfile]
    reads: list[Recorded]


class InMemoryComplianceQueries(HistoryQueries):
    """``HistoryQueries`` over ``log``, folded again whenever it has grown."""

    def __init__(self, *, log: LogReader, clock: Clock, zones: ClinicZones | None = None) -> None:
        super().__init__(clock=clock, zones=zones)
        self._log = log
        self._folded: _Folded | None = None

    async def _histories(self) -> _Folded:
        size = await self._log.count()
        if self._folded is not None and self._folded.size == size:
            return self._folded
        recorded: list[Recorded] = []
        after = 0
        while rows := await self._log.rows(after_position=after, limit=1000):
            recorded.extend(readable_events(rows))
            after = rows[-1].position

        def skip(_: Recorded, __: Exception) -> None:
            return None

        self._folded = _Folded(
            size=size,
            sessions=fold(SESSIONS, {}, recorded, on_fault=skip),
            patients=fold(PATIENTS, {}, recorded, on_fault=skip),
            profiles=fold(PROFILES, {}, recorded, on_fault=skip),
            reads=[r for r in recorded if r.event.event_type == "access.recorded"],
        )
        return self._folded

    async def profile_history(self, clinic_ids: Iterable[str]) -> ProfileHistory:
        wanted = set(clinic_ids)
        profiles = (await self._histories()).profiles.values()
        return ProfileHistory(p for p in profiles if p.clinic_id in wanted)

    async def sessions(
        self, clinic_id: str, *, start: datetime, end: datetime, margin_days: int = 0
    ) -> list[SessionHistory]:
        margin = timedelta(days=margin_days)
        starting = [
            (when, session)
            for session in (await self._histories()).sessions.values()
            if session.clinic_id == clinic_id
            and (when := session.scheduled_start or session.first_occurred_at) is not None
            and start - margin <= when < end + margin
        ]
        starting.sort(key=lambda pair: (pair[0], pair[1].session_id))
        return [session for _, session in starting]

    async def patients(self, clinic_id: str, patient_ids: set[str]) -> dict[str, PatientHistory]:
        patients = (await self._histories()).patients
        keys = {p: patient_key_of(clinic_id=clinic_id, patient_id=p) for p in patient_ids}
        return {p: patients[key] for p, key in keys.items() if key in patients}

    async def clinic_and_patient_of(self, session_id: str) -> tuple[str, str] | None:
        session = (await self._histories()).sessions.get(session_id)
        return None if session is None else (session.clinic_id, session.patient_id)

    async def clinics(self) -> list[str]:
        return sorted(
            {session.clinic_id for session in (await self._histories()).sessions.values()}
        )

    async def _session(self, session_id: str) -> SessionHistory | None:
        return (await self._histories()).sessions.get(session_id)

    async def _access_records(
        self, clinic_id: str, *, start: datetime, end: datetime, patient_id: str | None
    ) -> Iterable[Recorded]:
        return [
            read
            for read in (await self._histories()).reads
            if read.event.clinic_id == clinic_id
            and start <= read.event.occurred_at < end
            and (patient_id is None or read.event.patient_id == patient_id)
        ]
