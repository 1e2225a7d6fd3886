"""Where events travel and which hash chain they extend."""

from typing import Final

from events.access import AccessRecorded
from events.catalogue import SessionEvent
from events.envelope import PatientLevelEvent

__all__ = ["DEFAULT_PARTITIONS", "DLQ_TOPIC", "TOPIC", "partition_key", "stream_id"]

TOPIC: Final = "kap.session-events.v1"
"""The Kafka topic publishers write contract-v1 events to."""

DLQ_TOPIC: Final = "kap.session-events.dlq.v1"
"""Where rejected events are parked, with the rejection, for the publisher to inspect."""

DEFAULT_PARTITIONS: Final = 12
"""Partition count of `TOPIC` when the service creates it."""


def partition_key(event: SessionEvent) -> bytes:
    """The Kafka message key: the session id, or the patient id for patient-level events
    (and for amendments of them, which carry no session).

    Events with the same key land on one partition, so a session's events stay in order.
    """
    if isinstance(event, PatientLevelEvent | AccessRecorded) or event.session_id is None:
        return event.patient_id.encode("utf-8")
    return event.session_id.encode("utf-8")


def stream_id(event: SessionEvent) -> str:
    """The hash chain the event extends: one per session, and one per patient for
    patient-level events (even when they carry a session_id) and for amendments that carry
    no session."""
    if isinstance(event, AccessRecorded):
        # Kept apart from the clinical chains: a patient's accounting of reads is one stream.
        return f"{event.clinic_id}/access/{event.patient_id}"
    if isinstance(event, PatientLevelEvent) or event.session_id is None:
        return f"{event.clinic_id}/patient/{event.patient_id}"
    return f"{event.clinic_id}/session/{event.session_id}"
