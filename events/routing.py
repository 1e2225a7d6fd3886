"""Where events travel and which hash chain they extend."""

from typing import Final

from events.access import AccessRecorded
from events.catalogue import SessionEvent
from events.envelope import PatientLevelEvent
from events.errors import EventRejected, FieldError, RejectionReason
from events.profiles import CLINIC_LEVEL_PATIENT, ProfileChanged

__all__ = [
    "ACCESS_TOPIC",
    "DEFAULT_PARTITIONS",
    "DLQ_TOPIC",
    "TOPIC",
    "check_topic",
    "partition_key",
    "stream_id",
    "topic_for",
]

TOPIC: Final = "kap.session-events.v1"
"""The Kafka topic publishers write contract-v1 events to (every type but `access.recorded`)."""

ACCESS_TOPIC: Final = "kap.access-events.v1"
"""Where kapaudit itself publishes `access.recorded`; clinic systems get no access to it.

A topic of its own so that Kafka ACLs can keep publishers from forging reads."""

DLQ_TOPIC: Final = "kap.session-events.dlq.v1"
"""Where rejected events are parked, with the rejection, for the publisher to inspect."""

DEFAULT_PARTITIONS: Final = 12
"""Partition count of `TOPIC` (and of `ACCESS_TOPIC` and `DLQ_TOPIC`) when the service
creates it."""


def topic_for(event: SessionEvent) -> str:
    """The topic the event must travel on: `ACCESS_TOPIC` for `access.recorded`, which
    only kapaudit writes, and `TOPIC` for every other type."""
    return ACCESS_TOPIC if isinstance(event, AccessRecorded) else TOPIC


def check_topic(event: SessionEvent, topic: str) -> None:
    """Raise `EventRejected` (`wrong_topic`, at `event_type`) unless ``topic`` is the
    event's own topic: a read record from a clinic's topic would be forged."""
    expected = topic_for(event)
    if topic == expected:
        return
    why = (
        "only kapaudit records reads, on a topic publishers cannot write to"
        if expected == ACCESS_TOPIC
        else f"{ACCESS_TOPIC} carries only access.recorded"
    )
    raise EventRejected(
        reason=RejectionReason.WRONG_TOPIC,
        errors=[
            FieldError(
                path="event_type",
                message=f"{event.event_type} belongs on topic {expected}, not {topic}: {why}",
            )
        ],
    )


def partition_key(event: SessionEvent) -> bytes:
    """The Kafka message key: the session id, or the patient id for patient-level events
    (and for amendments of them, which carry no session).

    Events with the same key land on one partition, so a session's events stay in order.

    A profile change is keyed by its clinic's profile stream, so that the changes of one
    protocol's profile arrive in the order they were published, and a clinic-level read
    by its clinic's access stream.
    """
    if isinstance(event, ProfileChanged) or _clinic_level_read(event):
        return stream_id(event).encode("utf-8")
    if isinstance(event, PatientLevelEvent | AccessRecorded) or event.session_id is None:
        return event.patient_id.encode("utf-8")
    return event.session_id.encode("utf-8")


def stream_id(event: SessionEvent) -> str:
    """The hash chain the event extends: one per session, and one per patient for
    patient-level events (even when they carry a session_id) and for amendments that carry
    no session; a clinic's profile changes are one stream per protocol,
    ``<clinic_id>/profile/<protocol>``; reads are chained per patient,
    ``<clinic_id>/access/<patient_id>``, and clinic-level reads (patient ``-``, such as a
    look at the access report) per clinic, ``<clinic_id>/access``."""
    if isinstance(event, ProfileChanged):
        # No patient and no session: versions of one protocol's profile form their own chain.
        return f"{event.clinic_id}/profile/{event.payload.protocol}"
    if _clinic_level_read(event):
        # No patient: `-` in a patient's place would read as a patient named `-`.
        return f"{event.clinic_id}/access"
    if isinstance(event, AccessRecorded):
        # Kept apart from the clinical chains: a patient's accounting of reads is one stream.
        return f"{event.clinic_id}/access/{event.patient_id}"
    if isinstance(event, PatientLevelEvent) or event.session_id is None:
        return f"{event.clinic_id}/patient/{event.patient_id}"
    return f"{event.clinic_id}/session/{event.session_id}"


def _clinic_level_read(event: SessionEvent) -> bool:
    return isinstance(event, AccessRecorded) and event.patient_id == CLINIC_LEVEL_PATIENT
