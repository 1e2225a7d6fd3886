"""Audited reads as dashboard pages: the value shown, or an error page in its place.

The sequence itself (scope, refusals recorded, the read recorded within the broker wait
before anything is rendered) is ``services.reading``'s; this only words its answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, TypeVar

from fastapi import Depends, Request, status

from events import AccessChannel
from services.auth import Principal
from services.http.dashboard.pages import PageError
from services.http.dashboard.scope import Reader
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

__all__ = ["PageRead", "PageReads", "get_page_reads"]

T = TypeVar("T")


@dataclass(frozen=True, slots=True, kw_only=True)
class PageReads:
    """The audited reads of one page, answering with the value or raising ``PageError``."""

    reads: AuditedReads
    request: ReadRequest

    @property
    def principal(self) -> Principal:
        return self.request.principal

    async def session(self, session_id: str, *, load: Callable[[SessionOwner], Awaitable[T]]) -> T:
        """One session's page data. Another clinic's session gets the page a missing one
        gets: a scoped token must not learn which sessions (or clinics) exist beyond its
        own; only an admin is told that a session is not in the log."""
        outcome = await self._recorded(
            self.reads.session(self.request, session_id=session_id, load=load)
        )
        if isinstance(outcome, Allowed):
            return outcome.value
        if isinstance(outcome, Missing):
            raise PageError(
                status.HTTP_404_NOT_FOUND,
                "No such session",
                f"No session {session_id!r} is in the log.",
                principal=self.principal,
            )
        # A missing session and another clinic's are refused alike (ids must not be
        # probed), so the page names both: a mistyped id must not read as a scoping fault.
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "Not found or not permitted",
            f"No session with this id is in the log that the token {self.principal.name!r} "
            "may read: check the session id for a typo, or sign in with a token scoped to its "
            "clinic. Which of the two it is is not said, so that session ids cannot be probed "
            "(and the page is the same whatever id was asked for).",
            principal=self.principal,
        )

    async def clinic(
        self,
        clinic_id: str,
        *,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        disclosed: Callable[[T], Iterable[str]],
    ) -> T:
        """A clinic's page data over ``period``; a 403 page unless the token may read it."""
        return self._clinic_page(
            clinic_id,
            await self._recorded(
                self.reads.clinic(
                    self.request, clinic_id=clinic_id, period=period, load=load, disclosed=disclosed
                )
            ),
        )

    async def clinic_look(
        self,
        clinic_id: str,
        *,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        patient_id: str | None = None,
    ) -> T:
        """The access report's page data, its look recorded once
        (``AuditedReads.clinic_look``); a 403 page unless the token may read the clinic."""
        return self._clinic_page(
            clinic_id,
            await self._recorded(
                self.reads.clinic_look(
                    self.request,
                    clinic_id=clinic_id,
                    period=period,
                    load=load,
                    patient_id=patient_id,
                )
            ),
        )

    def _clinic_page(self, clinic_id: str, outcome: ReadOutcome[T]) -> T:
        if isinstance(outcome, Allowed):
            return outcome.value
        # Missing only for a clinic id nothing could record, which the pages refuse first.
        raise PageError(
            status.HTTP_403_FORBIDDEN,
            "Not one of your clinics",
            f"The token {self.principal.name!r} is not scoped to clinic {clinic_id!r}.",
            principal=self.principal,
        )

    async def _recorded(self, outcome: Awaitable[ReadOutcome[T]]) -> ReadOutcome[T]:
        try:
            return await outcome
        except UnrecordedReadError:
            raise PageError(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "This page cannot be shown right now",
                "The read could not be written to the audit log, so the page is withheld. "
                "Try again in a moment.",
                principal=self.principal,
            ) from None


def get_page_reads(request: Request, principal: Reader, reads: Reads) -> PageReads:
    return PageReads(
        reads=reads,
        request=ReadRequest(
            principal=principal,
            channel=AccessChannel.DASHBOARD,
            resource=request.url.path,
            # Empty form fields (``?status=``) asked for nothing; the contract wants values.
            query={key: value for key, value in request.query_params.items() if value},
        ),
    )


PageRead = Annotated[PageReads, Depends(get_page_reads)]
