"""Audited reads as API answers: the value, or a 403, 404 or 503 (``services.reading``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request, status

from events import AccessChannel
from services.http.api.guards import not_permitted
from services.http.deps import CurrentPrincipal
from services.http.outage import RETRY_AFTER_SECONDS
from services.http.reading import Reads
from services.period import Period
from services.reading import (
    Allowed,
    AuditedReads,
    Missing,
    ReadOutcome,
    ReadRequest,
    SessionOwner,
    UnrecordedReadError,
)

__all__ = ["ApiReads", "AuditedRead", "get_api_reads"]

T = TypeVar("T")

_UNRECORDED = "the read could not be recorded in the access log, so nothing is shown; retry later"


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiReads:
    """The audited reads of one API request, answering with the value or raising."""

    reads: AuditedReads
    request: ReadRequest

    async def session(self, session_id: str, *, load: Callable[[SessionOwner], Awaitable[T]]) -> T:
        """``AuditedReads.session``: 403 for another clinic's or a missing session (404
        for an admin), 503 when the read cannot be recorded."""
        return _answer(
            await _recorded(self.reads.session(self.request, session_id=session_id, load=load))
        )

    async def clinic(
        self,
        clinic_id: str,
        *,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        disclosed: Callable[[T], Iterable[str]],
    ) -> T:
        """``AuditedReads.clinic``: 403 unless the token may read the clinic, 503 when the
        read cannot be recorded."""
        outcome = self.reads.clinic(
            self.request, clinic_id=clinic_id, period=period, load=load, disclosed=disclosed
        )
        return _answer(await _recorded(outcome))

    async def clinic_look(
        self,
        clinic_id: str,
        *,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        patient_id: str | None = None,
    ) -> T:
        """``AuditedReads.clinic_look`` (the access report, recorded once per look): 403
        unless the token may read the clinic, 503 when the look cannot be recorded."""
        outcome = self.reads.clinic_look(
            self.request, clinic_id=clinic_id, period=period, load=load, patient_id=patient_id
        )
        return _answer(await _recorded(outcome))


async def _recorded(outcome: Awaitable[ReadOutcome[T]]) -> ReadOutcome[T]:
    try:
        return await outcome
    except UnrecordedReadError as error:
        raise HTTPException(
            status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
            detail=_UNRECORDED,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from error


def _answer(outcome: ReadOutcome[T]) -> T:
    if isinstance(outcome, Allowed):
        return outcome.value
    if isinstance(outcome, Missing):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=f"no such {outcome.what}")
    raise not_permitted()


def get_api_reads(request: Request, principal: CurrentPrincipal, reads: Reads) -> ApiReads:
    return ApiReads(
        reads=reads,
        request=ReadRequest(
            principal=principal,
            channel=AccessChannel.API,
            resource=f"GET {request.url.path}",
            query=dict(request.query_params.items()),
        ),
    )


AuditedRead = Annotated[ApiReads, Depends(get_api_reads)]
