"""A clinic's data over a period: scope checked, the patients in the answer recorded."""

from __future__ import annotations

import asyncio

import pytest

from services.auth import Principal, Role
from services.period import Period
from services.reading import Allowed, Denied, Missing, UnrecordedReadError
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

OFFICER = token(Role.COMPLIANCE_OFFICER, CLINIC)


class Rows:
    """A loader answering with rows of patient ids, remembering the periods it was given."""

    def __init__(self, *patients: str) -> None:
        self.patients = list(patients)
        self.periods: list[Period] = []

    async def __call__(self, period: Period) -> list[str]:
        self.periods.append(period)
        return self.patients


async def test_the_patients_in_the_answer_are_recorded_once_each_in_order() -> None:
    log, load = RecordingLog(), Rows("pt-2", "pt-1", "pt-2")

    outcome = await reads(log).clinic(
        asking(OFFICER, resource=f"GET /v1/clinics/{CLINIC}/controlled-substances"),
        clinic_id=CLINIC,
        period=PERIOD,
        load=load,
        disclosed=lambda rows: rows,
    )

    assert outcome == Allowed(
        value=["pt-2", "pt-1", "pt-2"], clinic_id=CLINIC, patient_ids=("pt-1", "pt-2")
    )
    [read] = log.allowed
    assert (read["clinic_id"], read["patient_ids"], read["session_id"]) == (
        CLINIC,
        ("pt-1", "pt-2"),
        None,
    )


async def test_the_loader_gets_the_period_asked_for() -> None:
    load = Rows("pt-1")

    await reads(RecordingLog()).clinic(
        asking(OFFICER), clinic_id=CLINIC, period=PERIOD, load=load, disclosed=lambda rows: rows
    )

    assert load.periods == [PERIOD]


async def test_an_answer_naming_no_patient_is_served_without_a_record() -> None:
    log = RecordingLog()

    outcome = await reads(log).clinic(
        asking(OFFICER), clinic_id=CLINIC, period=PERIOD, load=Rows(), disclosed=lambda rows: rows
    )

    assert outcome == Allowed(value=[], clinic_id=CLINIC, patient_ids=())
    assert log.allowed == []


async def test_an_answer_naming_no_patient_is_served_even_when_the_log_is_down() -> None:
    outcome = await reads(FailingLog()).clinic(
        asking(OFFICER), clinic_id=CLINIC, period=PERIOD, load=Rows(), disclosed=lambda rows: rows
    )

    assert isinstance(outcome, Allowed)


@pytest.mark.parametrize(
    "principal",
    [
        token(Role.COMPLIANCE_OFFICER, OTHER_CLINIC),
        token(Role.REGULATOR, CLINIC),
        token(Role.PUBLISHER, CLINIC),
    ],
    ids=["officer of another clinic", "regulator", "publisher"],
)
async def test_a_token_that_may_not_read_the_clinic_is_denied_before_anything_is_loaded(
    principal: Principal,
) -> None:
    log, load = RecordingLog(), Rows("pt-1")

    outcome = await reads(log).clinic(
        asking(principal), clinic_id=CLINIC, period=PERIOD, load=load, disclosed=lambda r: r
    )

    assert isinstance(outcome, Denied)
    assert load.periods == []
    assert (log.allowed, log.denied) == ([], [])


@pytest.mark.parametrize("impossible", ["", "a/b", "c\x00", "x" * 65])
async def test_an_impossible_clinic_id_is_never_loaded(impossible: str) -> None:
    load = Rows("pt-1")
    service = reads(RecordingLog())

    officer = await service.clinic(
        asking(OFFICER), clinic_id=impossible, period=PERIOD, load=load, disclosed=lambda r: r
    )
    admin = await service.clinic(
        asking(token(Role.ADMIN)),
        clinic_id=impossible,
        period=PERIOD,
        load=load,
        disclosed=lambda r: r,
    )

    assert isinstance(officer, Denied)
    assert admin == Missing(what="clinic")
    assert load.periods == []


async def test_a_report_whose_read_the_log_refuses_is_not_served() -> None:
    with pytest.raises(UnrecordedReadError):
        await reads(FailingLog()).clinic(
            asking(OFFICER),
            clinic_id=CLINIC,
            period=PERIOD,
            load=Rows("pt-1"),
            disclosed=lambda r: r,
        )


async def test_a_report_whose_read_hangs_past_the_deadline_is_not_served() -> None:
    service = reads(HangingLog(), deadline=0.05)

    with pytest.raises(UnrecordedReadError):
        await asyncio.wait_for(
            service.clinic(
                asking(OFFICER),
                clinic_id=CLINIC,
                period=PERIOD,
                load=Rows("pt-1"),
                disclosed=lambda r: r,
            ),
            timeout=5,
        )
