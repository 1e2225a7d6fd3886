"""What the store hands out in text order comes in code point order (Python's) even on a
PostgreSQL whose default collation sorts otherwise, as an ``en_US.UTF-8`` one does: an
export's ``heads.jsonl`` must be in code point order for the offline verifier, and a
bundle must not depend on how the database server was installed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.sql import SqlEventStore, SqlProjectionStore, create_engine, upgrade_schema
from services.adapters.sql.compliance_queries import SqlComplianceQueries
from services.adapters.sql.export_source import SqlExportSource
from services.clock import FixedClock
from services.projecting import Projector
from tests.conftest import POSTGRES_DSN
from tests.factories import at, document, valid

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DAY = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
# Pairs an ICU en-US collation orders against their code points: case first in code
# point order ("PT" < "pt"), punctuation weighed apart from letters and digits.
PATIENTS = ["pt-b", "PT-C", "pt1", "pt-10", "Pt_a"]
CLINICS = ["clinic-b", "Clinic-A", "clinic-10", "clinic1"]


@pytest.fixture
async def icu_engine() -> AsyncIterator[AsyncEngine]:
    """A fresh database whose default collation is ICU's en-US."""
    name = f"kapaudit_icu_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(POSTGRES_DSN, timeout=5)
    try:
        await admin.execute(
            f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8' "
            "LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
        )
    finally:
        await admin.close()
    base = POSTGRES_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = create_engine(f"{base}/{name}")
    try:
        await upgrade_schema(engine)
        yield engine
    finally:
        await engine.dispose()
        admin = await asyncpg.connect(POSTGRES_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def _vitals(clinic: str, patient: str, hours: int) -> dict[str, Any]:
    return at(
        document(
            "vitals.recorded",
            clinic_id=clinic,
            patient_id=patient,
            session_id=f"s-{patient}-{clinic}",
        ),
        DAY + timedelta(hours=hours),
    )


async def test_the_database_itself_sorts_these_ids_otherwise(icu_engine: AsyncEngine) -> None:
    # Without this, the tests below could pass for want of a collation that differs.
    async with icu_engine.connect() as connection:
        result = await connection.exec_driver_sql(
            "SELECT id FROM unnest(ARRAY['pt-b', 'PT-C', 'pt1', 'pt-10', 'Pt_a']) AS id ORDER BY id"
        )
        assert [row.id for row in result] != sorted(PATIENTS)


async def test_an_exports_streams_heads_and_patients_come_in_code_point_order(
    icu_engine: AsyncEngine,
) -> None:
    docs = [_vitals("clinic-a", patient, n) for n, patient in enumerate(PATIENTS)]
    await SqlEventStore(engine=icu_engine).record(
        valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW
    )
    source = SqlExportSource(engine=icu_engine)
    selection, counts = await source.select(
        clinic_id="clinic-a",
        start=DAY,
        end=DAY + timedelta(days=1),
        patient_id=None,
        size=len(docs),
    )
    assert list(counts.patients) == sorted(PATIENTS)
    heads = [head.stream_id async for head in source.heads(selection)]
    assert heads == sorted(heads)
    assert len(heads) == len(PATIENTS)
    streams = [stream_id async for stream_id, _ in source.clinical_streams(selection)]
    assert streams == [f"clinic-a/session/s-{p}-clinic-a" for p in sorted(PATIENTS)]


async def test_the_clinics_seen_come_in_code_point_order(icu_engine: AsyncEngine) -> None:
    docs = [_vitals(clinic, "pt-1", n) for n, clinic in enumerate(CLINICS)]
    await SqlEventStore(engine=icu_engine).record(
        valid=[valid(d) for d in docs], invalid=[], recorded_at=NOW
    )
    await Projector(store=SqlProjectionStore(engine=icu_engine)).catch_up()
    queries = SqlComplianceQueries(engine=icu_engine, clock=FixedClock(at=NOW))
    assert await queries.clinics() == sorted(CLINICS)
