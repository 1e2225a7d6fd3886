"""Access auditing: every read of session or patient data becomes an ``access.recorded``
event, published on kapaudit's own Kafka topic into the same append-only log."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from importlib.metadata import version

from events import ACCESS_TOPIC, AccessChannel, AccessOutcome, SessionEvent, parse_event
from services.auth import Principal
from services.clock import Clock
from services.publishing import Publisher

__all__ = ["AccessAuditor"]

_log = logging.getLogger("kapaudit.access")


class AccessAuditor:
    """Publishes one ``access.recorded`` per patient whose data a read disclosed.

    Callers record *before* they answer: when the audit cannot be written the
    read is refused, so no look at a patient's record goes unaccounted.
    """

    def __init__(self, *, publisher: Publisher, clock: Clock) -> None:
        self._publisher = publisher
        self._clock = clock
        self._source = f"kapaudit/{version('kapaudit')}"
        # The event loop keeps only weak references to tasks: background records are
        # held here until they are done.
        self._pending: set[asyncio.Task[None]] = set()

    async def record(
        self,
        *,
        principal: Principal,
        channel: AccessChannel,
        resource: str,
        query: Mapping[str, str],
        outcome: AccessOutcome,
        clinic_id: str,
        patient_ids: Iterable[str],
        session_id: str | None = None,
    ) -> list[SessionEvent]:
        """Publish the reads on ``kap.access-events.v1`` and wait for the broker's acks;
        returns the events sent.

        A topic of their own: clinic systems may write the event topic, and must not be
        able to forge reads into the log (Kafka ACLs keep them off this one).
        """
        payload = {
            "token_name": principal.name,
            "role": principal.role.value,
            "channel": channel.value,
            "resource": resource[:1000],
            "query": _recordable(query),
            "outcome": outcome.value,
        }
        occurred_at = self._clock.now().isoformat()
        events = [
            parse_event(
                json.dumps(
                    {
                        "event_id": str(uuid.uuid4()),
                        "event_type": "access.recorded",
                        "schema_version": 3,
                        "occurred_at": occurred_at,
                        "clinic_id": clinic_id,
                        "patient_id": patient_id,
                        "session_id": session_id,
                        # The observer, as in FHIR AuditEvent.source; the reader is the payload.
                        "actor": {"id": "kapaudit-api", "role": "system"},
                        "source": self._source,
                        "payload": payload,
                    }
                ).encode("utf-8")
            )
            for patient_id in sorted(set(patient_ids))
        ]
        await self._publisher.publish_many(events, topic=ACCESS_TOPIC)
        return events

    def record_denial(
        self,
        *,
        principal: Principal,
        channel: AccessChannel,
        resource: str,
        query: Mapping[str, str],
        clinic_id: str,
        patient_id: str,
        session_id: str,
        within: float,
    ) -> asyncio.Task[None]:
        """Record, in the background, a refused read of an existing session.

        In the background so that refusing an existing session takes as long as
        refusing a missing one (the timing would tell which sessions exist); a failure
        is logged only, since nothing was disclosed.
        """

        async def denial() -> None:
            try:
                async with asyncio.timeout(within):
                    await self.record(
                        principal=principal,
                        channel=channel,
                        resource=resource,
                        query=query,
                        outcome=AccessOutcome.DENIED,
                        clinic_id=clinic_id,
                        patient_ids=[patient_id],
                        session_id=session_id,
                    )
            except Exception:
                _log.exception("could not record a denied read of session %s", session_id)

        task = asyncio.create_task(denial())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)
        return task


def _recordable(query: Mapping[str, str]) -> dict[str, str]:
    # Keys must be contract identifiers (1-64 characters, not blank, no control
    # characters); a parameter whose name is not one asked for nothing we could name,
    # and refusing the whole read over it would be worse than leaving it out.
    recordable: dict[str, str] = {}
    for key, value in sorted(query.items()):
        name = key[:64]
        if name.strip() and not any(ord(c) < 0x20 or ord(c) == 0x7F for c in name):
            recordable[name] = value[:1000]
    return recordable
