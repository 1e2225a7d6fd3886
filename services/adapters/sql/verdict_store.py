"""Stored verdicts: each session's current verdict with the instant it stops being valid.

The projector writes them in the transaction that changes what they are judged from (a
session's history, its patient's) and caps them when a profile version is folded; it
judges again the rows whose ``valid_until`` has passed. The queries serve a row only when
it still answers what judging now would (``servable``), and judge on demand otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from events import Protocol
from projections import (
    PatientHistory,
    ProfileHistory,
    ProtocolProfile,
    SessionHistory,
    patient_key_of,
)
from projections.compliance import SessionStatus, SessionVerdict, VerdictSummary
from projections.verdicts import VERDICT_VERSION, judge_until
from services.adapters.sql.read_model_tables import (
    proj_patients,
    proj_profiles,
    proj_sessions,
    proj_verdicts,
)
from services.adapters.sql.stored_projections import insert_for
from services.clinic_zones import ClinicZones
from services.clock import Clock

__all__ = [
    "VerdictWriter",
    "servable",
    "stored_rows_query",
    "stored_start",
    "stored_summary",
    "stored_verdict",
    "zone_key",
]

_CHUNK = 500


def zone_key(zones: ClinicZones | None, clinic_id: str) -> str:
    """The clock a clinic's sentences are told on, as stored with its verdicts ("": each
    session's own)."""
    return "" if zones is None else zones.for_clinic(clinic_id).key


def servable(
    row: Any, *, as_of: datetime, zone: str, profiles: ProfileHistory | None = None
) -> bool:
    """Whether a stored row answers exactly what judging at ``as_of`` would.

    ``row`` has the stored columns and the histories' current positions
    (``current_session_position``, ``current_patient_position``). It must be judged by
    these rules on the same clock from the histories as they stand, at or before
    ``as_of``, and still valid then; and the profile version in force at ``as_of`` must be
    the one it used (a change folded after it was judged).
    """
    if row.judged_at is None or row.verdict_version != VERDICT_VERSION or row.zone != zone:
        return False
    if row.session_position != row.current_session_position:
        return False
    if row.patient_position != (row.current_patient_position or 0):
        return False
    if not row.judged_at <= as_of or (row.valid_until is not None and as_of >= row.valid_until):
        return False
    if row.profile_version is not None and profiles is not None:
        in_force = profiles.in_force(row.clinic_id, Protocol(row.protocol), as_of=as_of)
        if in_force.version != row.profile_version:
            return False
    return True


def stored_verdict(row: Any, *, as_of: datetime) -> SessionVerdict:
    """The row's verdict, as of ``as_of`` (for a row ``servable`` then)."""
    return SessionVerdict.from_document(json.loads(row.verdict_json), as_of=as_of)


def stored_summary(row: Any) -> VerdictSummary:
    """The row's verdict as a report counts it, from its columns alone (for a row
    ``servable`` at the instant asked)."""
    return VerdictSummary(
        session_id=row.session_id,
        clinic_id=row.clinic_id,
        patient_id=row.patient_id,
        protocol=None if row.protocol is None else Protocol(row.protocol),
        status=SessionStatus(row.status),
        failed_rule_ids=tuple(row.failed_rules.split()),
        profile_version=row.profile_version,
    )


def stored_start(row: Any) -> datetime | None:
    """The session's start as its history tells it (in the offset it was published in)."""
    start: datetime | None = row.session_start
    if start is None or row.start_offset_minutes is None:
        return start
    return start.astimezone(timezone(timedelta(minutes=row.start_offset_minutes)))


def _offset_minutes(instant: datetime | None) -> int | None:
    offset = None if instant is None else instant.utcoffset()
    return None if offset is None else int(offset.total_seconds() // 60)


def stored_rows_query(*, documents: bool = True) -> Any:
    """Sessions with their stored verdict (columns None when there is none) and the
    current positions of the histories it must have been judged from; without
    ``documents``, only the columns a report counts (no verdict JSON to fetch and decode)."""
    return (
        select(
            proj_sessions.c.session_id,
            proj_sessions.c.clinic_id,
            proj_sessions.c.patient_id,
            proj_sessions.c.session_start,
            proj_sessions.c.last_position.label("current_session_position"),
            proj_patients.c.last_position.label("current_patient_position"),
            proj_verdicts.c.protocol,
            proj_verdicts.c.profile_version,
            proj_verdicts.c.judged_at,
            proj_verdicts.c.valid_until,
            proj_verdicts.c.zone,
            proj_verdicts.c.verdict_version,
            proj_verdicts.c.session_position,
            proj_verdicts.c.patient_position,
            proj_verdicts.c.status,
            proj_verdicts.c.failed_rules,
            proj_verdicts.c.start_offset_minutes,
            *([proj_verdicts.c.verdict_json] if documents else []),
        )
        .select_from(proj_sessions)
        .outerjoin(proj_verdicts, proj_verdicts.c.session_id == proj_sessions.c.session_id)
        .outerjoin(proj_patients, proj_patients.c.patient_key == proj_verdicts.c.patient_key)
    )


class VerdictWriter:
    """Judges sessions now and stores their verdicts, in the caller's transaction."""

    def __init__(self, *, clock: Clock, zones: ClinicZones | None = None) -> None:
        self._clock = clock
        self._zones = zones
        self._rules_current = False

    async def sessions_changed(
        self, connection: AsyncConnection, sessions: Iterable[SessionHistory]
    ) -> int:
        sessions = list(sessions)
        patients = await _patients(connection, {_patient_key(s) for s in sessions})
        return await self._write(connection, sessions, patients)

    async def patients_changed(
        self, connection: AsyncConnection, patients: Iterable[PatientHistory]
    ) -> int:
        by_key = {
            patient_key_of(clinic_id=p.clinic_id, patient_id=p.patient_id): p for p in patients
        }
        sessions: list[SessionHistory] = []
        ids = sorted({p.patient_id for p in by_key.values()})
        for start in range(0, len(ids), _CHUNK):
            rows = await connection.execute(
                select(proj_sessions.c.history_json).where(
                    proj_sessions.c.patient_id.in_(ids[start : start + _CHUNK])
                )
            )
            for history_json in rows.scalars():
                session = SessionHistory.from_document(json.loads(history_json))
                if _patient_key(session) in by_key:
                    sessions.append(session)
        return await self._write(connection, sessions, by_key)

    async def profiles_changed(
        self, connection: AsyncConnection, profiles: Iterable[ProtocolProfile]
    ) -> None:
        """End the validity of the verdicts a new version applies to, when it comes into
        force; ``refresh`` judges them again then."""
        for profile in profiles:
            latest = profile.latest
            if latest.effective_at is None or latest.recorded_at is None:
                continue
            turns = max(latest.effective_at, latest.recorded_at)
            await connection.execute(
                update(proj_verdicts)
                .where(proj_verdicts.c.clinic_id == profile.clinic_id)
                .where(proj_verdicts.c.protocol == profile.protocol.value)
                .where(
                    or_(proj_verdicts.c.valid_until.is_(None), proj_verdicts.c.valid_until > turns)
                )
                .values(valid_until=turns)
            )

    async def stale(self, connection: AsyncConnection, *, limit: int = _CHUNK) -> list[str]:
        """Sessions whose stored verdict has expired (not those valid at one instant only,
        which only a new event refreshes), or was judged by other rules."""
        now = self._clock.now()
        # Two queries, not one with OR: the projector asks at every wake, and only the
        # expiry alone can use the index on valid_until (an OR scanned every stored
        # verdict). Rows judged by other rules exist only after an upgrade, so they are
        # looked for until none is left.
        query = (
            select(proj_verdicts.c.session_id)
            .where(proj_verdicts.c.valid_until <= now)
            .where(proj_verdicts.c.valid_until != proj_verdicts.c.judged_at)
            .limit(limit)
        )
        due = list((await connection.execute(query)).scalars())
        if not self._rules_current and len(due) < limit:
            outdated = (
                select(proj_verdicts.c.session_id)
                .where(proj_verdicts.c.verdict_version != VERDICT_VERSION)
                .limit(limit - len(due))
            )
            older = list((await connection.execute(outdated)).scalars())
            self._rules_current = not older
            due += older
        return due

    async def missing(self, connection: AsyncConnection, *, limit: int = _CHUNK) -> list[str]:
        """Sessions without a stored verdict (e.g. histories folded before verdicts were)."""
        query = (
            select(proj_sessions.c.session_id)
            .outerjoin(proj_verdicts, proj_verdicts.c.session_id == proj_sessions.c.session_id)
            .where(proj_verdicts.c.session_id.is_(None))
            .limit(limit)
        )
        return list((await connection.execute(query)).scalars())

    async def rejudge(self, connection: AsyncConnection, session_ids: Sequence[str]) -> int:
        """Judge these sessions again from their stored histories, and store the verdicts."""
        sessions: list[SessionHistory] = []
        for start in range(0, len(session_ids), _CHUNK):
            rows = await connection.execute(
                select(proj_sessions.c.history_json).where(
                    proj_sessions.c.session_id.in_(session_ids[start : start + _CHUNK])
                )
            )
            sessions.extend(SessionHistory.from_document(json.loads(r)) for r in rows.scalars())
        return await self.sessions_changed(connection, sessions)

    async def _write(
        self,
        connection: AsyncConnection,
        sessions: Sequence[SessionHistory],
        patients: Mapping[str, PatientHistory],
    ) -> int:
        if not sessions:
            return 0
        profiles = await _profiles(connection, {s.clinic_id for s in sessions})
        now = self._clock.now()
        rows = []
        for session in sessions:
            key = _patient_key(session)
            patient = patients.get(key)
            zone = self._zones.for_clinic(session.clinic_id) if self._zones else None
            began = session.scheduled_start or session.first_occurred_at
            verdict, until = judge_until(
                session=session, patient=patient, profiles=profiles, as_of=now, zone=zone
            )
            rows.append(
                {
                    "session_id": session.session_id,
                    "clinic_id": session.clinic_id,
                    "patient_key": key,
                    "session_start": began,
                    "start_offset_minutes": _offset_minutes(began),
                    "status": verdict.status.value,
                    "protocol": None if verdict.protocol is None else verdict.protocol.value,
                    "profile_version": verdict.profile_version,
                    "failed_rules": " ".join(r.rule_id for r in verdict.failed_rules),
                    "judged_at": now,
                    "valid_until": until,
                    "zone": zone_key(self._zones, session.clinic_id),
                    "verdict_version": VERDICT_VERSION,
                    "session_position": session.last_position,
                    "patient_position": (
                        patient.events[-1].position if patient is not None and patient.events else 0
                    ),
                    "verdict_json": json.dumps(
                        verdict.to_document(), sort_keys=True, separators=(",", ":")
                    ),
                }
            )
        statement = insert_for(connection, proj_verdicts)
        upsert = statement.on_conflict_do_update(
            index_elements=["session_id"],
            set_={
                c.name: statement.excluded[c.name]
                for c in proj_verdicts.c
                if c.name != "session_id"
            },
        )
        for start in range(0, len(rows), _CHUNK):
            await connection.execute(upsert, rows[start : start + _CHUNK])
        return len(rows)


def _patient_key(session: SessionHistory) -> str:
    return patient_key_of(clinic_id=session.clinic_id, patient_id=session.patient_id)


async def _patients(connection: AsyncConnection, keys: set[str]) -> dict[str, PatientHistory]:
    ordered = sorted(keys)
    found: dict[str, PatientHistory] = {}
    for start in range(0, len(ordered), _CHUNK):
        rows = await connection.execute(
            select(proj_patients.c.patient_key, proj_patients.c.history_json).where(
                proj_patients.c.patient_key.in_(ordered[start : start + _CHUNK])
            )
        )
        for key, history_json in rows:
            found[key] = PatientHistory.from_document(json.loads(history_json))
    return found


async def _profiles(connection: AsyncConnection, clinic_ids: set[str]) -> ProfileHistory:
    rows = await connection.execute(
        select(proj_profiles.c.history_json).where(
            proj_profiles.c.clinic_id.in_(sorted(clinic_ids))
        )
    )
    return ProfileHistory(ProtocolProfile.from_document(json.loads(r)) for r in rows.scalars())
