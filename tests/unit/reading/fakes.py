"""Stand-ins for the audited reads' ports: an access log and the sessions' owners."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from events import AccessChannel
from services.auth import Principal, Role
from services.period import Period
from services.reading import AuditedReads, ReadRequest

CLINIC = "clinic-a"
OTHER_CLINIC = "clinic-b"
SESSION = "sess-1"
PATIENT = "pt-1"
OTHER_SESSION = "sess-9"
OTHER_PATIENT = "pt-9"
OWNERS = {SESSION: (CLINIC, PATIENT), OTHER_SESSION: (OTHER_CLINIC, OTHER_PATIENT)}
PERIOD = Period.of_days(date(2026, 11, 1), date(2026, 11, 30), zone=ZoneInfo("America/Denver"))


class RecordingLog:
    """Keeps every record it is asked for, as the broker would have."""

    def __init__(self) -> None:
        self.allowed: list[dict[str, Any]] = []
        self.denied: list[dict[str, Any]] = []

    async def record(self, **details: Any) -> None:
        self.allowed.append(details)

    def record_denial(self, **details: Any) -> None:
        self.denied.append(details)


class FailingLog(RecordingLog):
    """A log whose broker is gone."""

    async def record(self, **details: Any) -> None:
        raise ConnectionError("the broker is down")


class HangingLog(RecordingLog):
    """A log whose broker never acknowledges."""

    async def record(self, **details: Any) -> None:
        await asyncio.Event().wait()


async def owners(session_id: str) -> tuple[str, str] | None:
    return OWNERS.get(session_id)


def reads(log: RecordingLog, *, deadline: float = 1.0) -> AuditedReads:
    return AuditedReads(access_log=log, session_owners=owners, deadline=deadline)


def token(role: Role, *clinics: str, name: str = "anna") -> Principal:
    return Principal(token_id=1, name=name, role=role, clinics=frozenset(clinics))


def asking(
    principal: Principal,
    *,
    resource: str = f"GET /v1/sessions/{SESSION}/timeline",
    query: Mapping[str, str] | None = None,
    channel: AccessChannel = AccessChannel.API,
) -> ReadRequest:
    return ReadRequest(principal=principal, channel=channel, resource=resource, query=query or {})
