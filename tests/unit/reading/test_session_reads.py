"""One session's data: scope checked on its owner, refusals and reads recorded, fail closed."""

from __future__ import annotations

import asyncio

import pytest

from events import AccessChannel, AccessOutcome
from services.auth import Role
from services.reading import (
    Allowed,
    AuditedReads,
    Denied,
    Missing,
    SessionOwner,
    UnrecordedReadError,
)
from services.reading.ports import SessionNotFoundError
from tests.unit.reading.fakes import (
    CLINIC,
    OTHER_CLINIC,
    OTHER_PATIENT,
    OTHER_SESSION,
    PATIENT,
    SESSION,
    FailingLog,
    HangingLog,
    RecordingLog,
    asking,
    reads,
    token,
)

OFFICER = token(Role.COMPLIANCE_OFFICER, CLINIC)
ADMIN = token(Role.ADMIN, name="root")


class Loader:
    """Counts its calls, so a test can tell whether anything was loaded."""

    def __init__(self, value: str = "the timeline") -> None:
        self.value = value
        self.owners: list[SessionOwner] = []

    async def __call__(self, owner: SessionOwner) -> str:
        self.owners.append(owner)
        return self.value


async def test_an_officer_gets_their_clinics_session_and_its_patients_read_is_recorded() -> None:
    log, load = RecordingLog(), Loader()

    outcome = await reads(log).session(asking(OFFICER), session_id=SESSION, load=load)

    assert outcome == Allowed(value="the timeline", clinic_id=CLINIC, patient_ids=(PATIENT,))
    [read] = log.allowed
    assert read["outcome"] is AccessOutcome.ALLOWED
    assert (read["clinic_id"], read["patient_ids"], read["session_id"]) == (
        CLINIC,
        (PATIENT,),
        SESSION,
    )
    assert read["resource"] == f"GET /v1/sessions/{SESSION}/timeline"
    assert log.denied == []


async def test_the_loader_is_told_whose_session_it_loads() -> None:
    load = Loader()

    await reads(RecordingLog()).session(asking(OFFICER), session_id=SESSION, load=load)

    assert load.owners == [SessionOwner(session_id=SESSION, clinic_id=CLINIC, patient_id=PATIENT)]


async def test_another_clinics_session_is_denied_unloaded_and_the_denial_recorded() -> None:
    log, load = RecordingLog(), Loader()

    outcome = await reads(log, deadline=3.5).session(
        asking(OFFICER, channel=AccessChannel.DASHBOARD), session_id=OTHER_SESSION, load=load
    )

    assert isinstance(outcome, Denied)
    assert load.owners == []
    assert log.allowed == []
    [denial] = log.denied
    assert (denial["clinic_id"], denial["patient_id"], denial["session_id"]) == (
        OTHER_CLINIC,
        OTHER_PATIENT,
        OTHER_SESSION,
    )
    assert denial["channel"] is AccessChannel.DASHBOARD
    assert denial["within"] == 3.5


async def test_a_missing_session_is_denied_to_an_officer_exactly_as_another_clinics_one() -> None:
    log = RecordingLog()

    missing = await reads(log).session(asking(OFFICER), session_id="sess-nowhere", load=Loader())
    foreign = await reads(log).session(asking(OFFICER), session_id=OTHER_SESSION, load=Loader())

    assert missing == foreign
    assert len(log.denied) == 1


async def test_an_admin_is_told_a_session_is_missing() -> None:
    outcome = await reads(RecordingLog()).session(
        asking(ADMIN), session_id="sess-nowhere", load=Loader()
    )

    assert outcome == Missing(what="session")


@pytest.mark.parametrize("impossible", ["", "sess\x00one", "x" * 65])
async def test_an_impossible_session_id_is_refused_before_any_lookup(impossible: str) -> None:
    looked_up: list[str] = []

    async def owners(session_id: str) -> tuple[str, str] | None:
        looked_up.append(session_id)
        return None

    service = AuditedReads(access_log=RecordingLog(), session_owners=owners, deadline=1.0)
    officer = await service.session(asking(OFFICER), session_id=impossible, load=Loader())
    admin = await service.session(asking(ADMIN), session_id=impossible, load=Loader())

    assert isinstance(officer, Denied)
    assert admin == Missing(what="session")
    assert looked_up == []


async def test_a_session_gone_by_the_time_it_is_loaded_is_missing_and_nothing_recorded() -> None:
    log = RecordingLog()

    async def vanished(owner: SessionOwner) -> str:
        raise SessionNotFoundError(owner.session_id)

    outcome = await reads(log).session(asking(ADMIN), session_id=SESSION, load=vanished)

    assert outcome == Missing(what="session")
    assert log.allowed == []


async def test_a_publisher_of_the_clinic_may_not_read_its_session() -> None:
    log = RecordingLog()

    outcome = await reads(log).session(
        asking(token(Role.PUBLISHER, CLINIC)), session_id=SESSION, load=Loader()
    )

    assert isinstance(outcome, Denied)
    assert [d["session_id"] for d in log.denied] == [SESSION]


async def test_a_read_the_log_refuses_is_not_served() -> None:
    with pytest.raises(UnrecordedReadError):
        await reads(FailingLog()).session(asking(OFFICER), session_id=SESSION, load=Loader())


async def test_a_read_the_log_does_not_acknowledge_within_the_deadline_is_not_served() -> None:
    service = reads(HangingLog(), deadline=0.05)

    with pytest.raises(UnrecordedReadError):
        await asyncio.wait_for(
            service.session(asking(OFFICER), session_id=SESSION, load=Loader()), timeout=5
        )
