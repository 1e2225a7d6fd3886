"""A look at the access report: recorded once, whatever and however much it lists."""

from __future__ import annotations

import pytest

from events import CLINIC_LEVEL_PATIENT
from services.auth import Role
from services.period import Period
from services.reading import Allowed, Denied, Missing, UnrecordedReadError
from tests.unit.reading.fakes import (
    CLINIC,
    OTHER_CLINIC,
    PERIOD,
    FailingLog,
    RecordingLog,
    asking,
    reads,
    token,
)

OFFICER = token(Role.COMPLIANCE_OFFICER, CLINIC)
REPORT = f"GET /v1/clinics/{CLINIC}/access-report"


async def test_a_look_listing_many_patients_is_one_clinic_level_record() -> None:
    log = RecordingLog()

    async def load(_: Period) -> list[str]:
        return ["pt-1", "pt-2", "pt-3"]

    outcome = await reads(log).clinic_look(
        asking(OFFICER, resource=REPORT, query={"outcome": "denied"}),
        clinic_id=CLINIC,
        period=PERIOD,
        load=load,
    )

    assert outcome == Allowed(value=["pt-1", "pt-2", "pt-3"], clinic_id=CLINIC, patient_ids=())
    [look] = log.allowed
    assert (look["clinic_id"], look["patient_ids"], look["session_id"]) == (
        CLINIC,
        (CLINIC_LEVEL_PATIENT,),
        None,
    )
    assert (look["resource"], look["query"]) == (REPORT, {"outcome": "denied"})


async def test_an_empty_report_is_still_one_look() -> None:
    log = RecordingLog()

    async def load(_: Period) -> list[str]:
        return []

    await reads(log).clinic_look(asking(OFFICER), clinic_id=CLINIC, period=PERIOD, load=load)

    assert [look["patient_ids"] for look in log.allowed] == [(CLINIC_LEVEL_PATIENT,)]


async def test_a_look_narrowed_to_one_patient_is_recorded_as_that_patients_read() -> None:
    log = RecordingLog()

    async def load(_: Period) -> list[str]:
        return ["pt-2"]

    outcome = await reads(log).clinic_look(
        asking(OFFICER), clinic_id=CLINIC, period=PERIOD, load=load, patient_id="pt-2"
    )

    assert isinstance(outcome, Allowed)
    assert outcome.patient_ids == ("pt-2",)
    assert [look["patient_ids"] for look in log.allowed] == [("pt-2",)]


@pytest.mark.parametrize("patient_id", ["p" * 65, "", "  ", "pt\n1", "pt\x001"])
async def test_a_patient_id_no_event_could_carry_makes_a_clinic_level_look(patient_id: str) -> None:
    log = RecordingLog()

    async def load(_: Period) -> list[str]:
        return []

    await reads(log).clinic_look(
        asking(OFFICER), clinic_id=CLINIC, period=PERIOD, load=load, patient_id=patient_id
    )

    assert [look["patient_ids"] for look in log.allowed] == [(CLINIC_LEVEL_PATIENT,)]


async def test_a_clinic_id_no_event_could_carry_is_missing_to_an_admin_and_unrecorded() -> None:
    log = RecordingLog()

    async def load(_: Period) -> list[str]:
        return []

    outcome = await reads(log).clinic_look(
        asking(token(Role.ADMIN)), clinic_id="clinic\x0b", period=PERIOD, load=load
    )

    assert outcome == Missing(what="clinic")
    assert log.allowed == []


async def test_another_clinics_report_is_refused_unloaded_and_unrecorded() -> None:
    log = RecordingLog()
    loaded: list[Period] = []

    async def load(period: Period) -> list[str]:
        loaded.append(period)
        return []

    outcome = await reads(log).clinic_look(
        asking(OFFICER), clinic_id=OTHER_CLINIC, period=PERIOD, load=load
    )

    assert outcome == Denied(what="clinic")
    assert (loaded, log.allowed) == ([], [])


async def test_a_look_that_cannot_be_recorded_is_not_served() -> None:
    async def load(_: Period) -> list[str]:
        return ["pt-1"]

    with pytest.raises(UnrecordedReadError):
        await reads(FailingLog()).clinic_look(
            asking(OFFICER), clinic_id=CLINIC, period=PERIOD, load=load
        )
