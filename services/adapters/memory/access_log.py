"""An access log that keeps what it is told: the audited reads' port without a broker."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from events import AccessChannel, AccessOutcome
from services.auth import Principal

__all__ = ["RecordingAccessLog"]


class RecordingAccessLog:
    """``services.reading.ports.AccessLog`` that keeps each call's arguments: allowed
    reads in ``allowed``, background denials in ``denied``.

    ``unreachable`` stands for an access log that cannot be written: ``record`` raises
    ``ConnectionError`` (a read must then be refused) and keeps nothing.
    """

    def __init__(self, *, unreachable: bool = False) -> None:
        self.allowed: list[dict[str, Any]] = []
        self.denied: list[dict[str, Any]] = []
        self.unreachable = unreachable

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
    ) -> None:
        if self.unreachable:
            raise ConnectionError("the access log is unreachable")
        self.allowed.append(
            {
                "principal": principal,
                "channel": channel,
                "resource": resource,
                "query": query,
                "outcome": outcome,
                "clinic_id": clinic_id,
                "patient_ids": patient_ids,
                "session_id": session_id,
            }
        )

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
    ) -> None:
        self.denied.append(
            {
                "principal": principal,
                "channel": channel,
                "resource": resource,
                "query": query,
                "clinic_id": clinic_id,
                "patient_id": patient_id,
                "session_id": session_id,
                "within": within,
            }
        )
