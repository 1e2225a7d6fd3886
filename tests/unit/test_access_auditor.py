"""The access auditor builds valid access.recorded events whatever the query string holds."""

from __future__ import annotations

from datetime import UTC, datetime

from events import (
    ACCESS_TOPIC,
    CLINIC_LEVEL_PATIENT,
    AccessChannel,
    AccessOutcome,
    AccessRecorded,
    stream_id,
)
from services.adapters.memory import InMemoryPublisher
from services.auth import Principal, Role
from services.clock import FixedClock
from services.reading.access_auditor import AccessAuditor


async def test_one_read_of_two_patients_becomes_one_event_per_patient_in_their_access_streams() -> (
    None
):
    publisher = InMemoryPublisher()
    auditor = AccessAuditor(
        publisher=publisher,
        clock=FixedClock(at=datetime(2026, 11, 25, 9, tzinfo=UTC)),
    )
    await auditor.record(
        principal=Principal(
            token_id=1, name="anna", role=Role.COMPLIANCE_OFFICER, clinics=frozenset()
        ),
        channel=AccessChannel.API,
        resource="GET /v1/clinics/c/compliance-report",
        query={"from": "", "": "x", "bad\u0000key": "y", "status": "fail"},
        outcome=AccessOutcome.ALLOWED,
        clinic_id="c",
        patient_ids=["pt-2", "pt-1", "pt-1"],
    )
    assert [event.patient_id for event in publisher.events()] == ["pt-1", "pt-2"]
    first = publisher.events()[0]
    assert isinstance(first, AccessRecorded)
    assert first.payload.query == {"from": "", "status": "fail"}
    assert first.payload.token_name == "anna"
    assert stream_id(first) == "c/access/pt-1"


async def test_reads_are_published_on_kapaudits_access_topic_not_the_clinics_topic() -> None:
    publisher = InMemoryPublisher()
    auditor = AccessAuditor(
        publisher=publisher,
        clock=FixedClock(at=datetime(2026, 11, 25, 9, tzinfo=UTC)),
    )
    await auditor.record(
        principal=Principal(token_id=1, name="anna", role=Role.REGULATOR, clinics=frozenset()),
        channel=AccessChannel.DASHBOARD,
        resource="GET /sessions/s-1",
        query={},
        outcome=AccessOutcome.ALLOWED,
        clinic_id="c",
        patient_ids=["pt-1"],
        session_id="s-1",
    )
    assert {topic for topic, _ in publisher.sent} == {ACCESS_TOPIC}


async def test_a_clinic_level_look_becomes_one_version_3_event_in_the_clinics_access_stream() -> (
    None
):
    publisher = InMemoryPublisher()
    auditor = AccessAuditor(
        publisher=publisher,
        clock=FixedClock(at=datetime(2026, 11, 25, 9, tzinfo=UTC)),
    )
    await auditor.record(
        principal=Principal(
            token_id=1, name="anna", role=Role.COMPLIANCE_OFFICER, clinics=frozenset()
        ),
        channel=AccessChannel.DASHBOARD,
        resource="/clinics/c/access",
        query={"outcome": "denied"},
        outcome=AccessOutcome.ALLOWED,
        clinic_id="c",
        patient_ids=[CLINIC_LEVEL_PATIENT],
    )

    [look] = publisher.events()
    assert isinstance(look, AccessRecorded)
    assert (look.schema_version, look.patient_id, look.session_id) == (3, "-", None)
    assert look.payload.query == {"outcome": "denied"}
    assert stream_id(look) == "c/access"
