"""The few reads the dashboard needs beyond ``ComplianceQueries``."""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from projections import PatientHistory, SessionHistory, patient_key_of
from services.adapters.sql.read_model_tables import proj_patients, proj_sessions
from services.profiles import ClinicProfiles
from services.queries import ComplianceQueries

__all__ = ["clinics_with_sessions", "patient_histories", "profiles_of", "session_history"]

_CHUNK = 500
"""Patient keys per ``IN (...)``: well under every backend's bound-parameter limit."""


async def clinics_with_sessions(engine: AsyncEngine) -> list[str]:
    """Every clinic that has a session in the read models (the admin's clinic picker)."""
    async with engine.connect() as connection:
        rows = await connection.execute(
            select(proj_sessions.c.clinic_id).distinct().order_by(proj_sessions.c.clinic_id)
        )
        return list(rows.scalars())


async def session_history(engine: AsyncEngine, session_id: str) -> SessionHistory | None:
    """One session's stored history (the vitals chart needs its measurements)."""
    async with engine.connect() as connection:
        row = (
            await connection.execute(
                select(proj_sessions.c.history_json).where(proj_sessions.c.session_id == session_id)
            )
        ).scalar_one_or_none()
    return SessionHistory.from_document(json.loads(row)) if row is not None else None


async def patient_histories(
    engine: AsyncEngine, clinic_id: str, patient_ids: Iterable[str]
) -> dict[str, PatientHistory]:
    """Patient id -> the patient-level history, for the patients of one clinic."""
    keys = [patient_key_of(clinic_id=clinic_id, patient_id=p) for p in sorted(set(patient_ids))]
    histories: dict[str, PatientHistory] = {}
    async with engine.connect() as connection:
        for start in range(0, len(keys), _CHUNK):
            rows = await connection.execute(
                select(proj_patients.c.history_json).where(
                    proj_patients.c.patient_key.in_(keys[start : start + _CHUNK])
                )
            )
            for document in rows.scalars():
                history = PatientHistory.from_document(json.loads(document))
                histories[history.patient_id] = history
    return histories


def profiles_of(queries: ComplianceQueries) -> ClinicProfiles:
    """The clinic profiles the verdicts are judged by.

    ``HttpContext`` does not carry them; the query API holds the ones wired from
    ``KAPAUDIT_PROFILES_FILE``. Reading them there keeps the thresholds drawn on a chart
    identical to those the verdict used, where loading a second copy could disagree.
    """
    profiles: ClinicProfiles = queries._profiles
    return profiles
