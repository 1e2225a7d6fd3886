"""What the export asks: may this token export the clinic, and record what it discloses."""

from __future__ import annotations

import asyncio

import pytest

from events import AccessOutcome
from services.auth import Role
from services.period import Period
from services.reading import Allowed, Denied, UnrecordedReadError
from tests.unit.reading.fakes import (
    CLINIC,
    OTHER_CLINIC,
    PERIOD,
    FailingLog,
    HangingLog,
    RecordingLog,
    asking,
    reads,
    token,
)

EXPORT = "POST /v1/exports"
RANGE = {"clinic_id": CLINIC, "from": "2026-11-01", "to": "2026-11-30"}


@pytest.mark.parametrize(
    ("role", "clinics", "may"),
    [
        (Role.REGULATOR, (CLINIC,), True),
        (Role.ADMIN, (), True),
        (Role.REGULATOR, (OTHER_CLINIC,), False),
        (Role.COMPLIANCE_OFFICER, (CLINIC,), False),
        (Role.PUBLISHER, (CLINIC,), False),
    ],
)
def test_only_regulators_of_the_clinic_and_admins_may_export_it(
    role: Role, clinics: tuple[str, ...], may: bool
) -> None:
    assert reads(RecordingLog()).may_export(token(role, *clinics), CLINIC) is may


async def test_a_disclosure_is_recorded_once_per_patient_with_the_range_asked_for() -> None:
    log = RecordingLog()
    regulator = token(Role.REGULATOR, CLINIC, name="state-board")

    recorded = await reads(log).record_disclosure(
        asking(regulator, resource=EXPORT, query=RANGE),
        clinic_id=CLINIC,
        patient_ids=["pt-3", "pt-1", "pt-3"],
    )

    assert recorded == ("pt-1", "pt-3")
    [read] = log.allowed
    assert read["principal"].name == "state-board"
    assert (read["resource"], read["query"]) == (EXPORT, RANGE)
    assert read["outcome"] is AccessOutcome.ALLOWED
    assert read["patient_ids"] == ("pt-1", "pt-3")


async def test_a_disclosure_the_log_refuses_raises_so_the_bundle_is_not_handed_over() -> None:
    with pytest.raises(UnrecordedReadError):
        await reads(FailingLog()).record_disclosure(
            asking(token(Role.ADMIN), resource=EXPORT), clinic_id=CLINIC, patient_ids=["pt-1"]
        )


async def test_a_disclosure_not_acknowledged_within_the_deadline_raises() -> None:
    service = reads(HangingLog(), deadline=0.05)

    with pytest.raises(UnrecordedReadError):
        await asyncio.wait_for(
            service.record_disclosure(
                asking(token(Role.ADMIN), resource=EXPORT), clinic_id=CLINIC, patient_ids=["p"]
            ),
            timeout=5,
        )


async def test_an_export_in_one_call_follows_the_export_rule_not_the_reading_one() -> None:
    async def bundle(period: Period) -> list[str]:
        return ["pt-1"]

    service = reads(RecordingLog())
    regulator = await service.export(
        asking(token(Role.REGULATOR, CLINIC), resource=EXPORT),
        clinic_id=CLINIC,
        period=PERIOD,
        load=bundle,
        disclosed=lambda b: b,
    )
    officer = await service.export(
        asking(token(Role.COMPLIANCE_OFFICER, CLINIC), resource=EXPORT),
        clinic_id=CLINIC,
        period=PERIOD,
        load=bundle,
        disclosed=lambda b: b,
    )

    assert regulator == Allowed(value=["pt-1"], clinic_id=CLINIC, patient_ids=("pt-1",))
    assert isinstance(officer, Denied)
