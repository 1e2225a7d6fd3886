"""The audited-read sequence, written once for the API, the dashboard and the export."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import replace
from typing import Final, TypeVar

from pydantic import TypeAdapter, ValidationError

from events import CLINIC_LEVEL_PATIENT, AccessOutcome, Identifier
from services.auth import Principal, Role
from services.period import Period
from services.reading.identifiers import storable_identifier
from services.reading.outcomes import Allowed, Denied, Missing, ReadOutcome, UnrecordedReadError
from services.reading.ports import AccessLog, SessionNotFoundError, SessionOwner, SessionOwners
from services.reading.requests import ReadRequest

__all__ = ["AuditedReads", "ClinicRule"]

_log = logging.getLogger("kapaudit.reading")

T = TypeVar("T")

ClinicRule = Callable[[Principal, str], bool]
"""Whether a principal may do this with a clinic's data, e.g. ``Principal.may_read``."""


class AuditedReads:
    """Reads of patient data: scope checked, refusals and reads recorded, fail closed.

    ``deadline`` is how long a read waits for the access log (the broker's
    acknowledgement); a refusal's record gets as long, in the background.
    """

    def __init__(
        self, *, access_log: AccessLog, session_owners: SessionOwners, deadline: float
    ) -> None:
        self._access_log = access_log
        self._session_owners = session_owners
        self._deadline = deadline

    async def session(
        self,
        request: ReadRequest,
        *,
        session_id: str,
        load: Callable[[SessionOwner], Awaitable[T]],
    ) -> ReadOutcome[T]:
        """One session's data (timeline, verdict, page), ``load``-ed once its clinic is
        known to be the reader's; its patient's read is recorded before it is returned.

        Only the session's owner is looked up before the scope is checked (one indexed
        row): refusing another clinic's session then costs what refusing a missing one
        does, so response times do not tell which sessions exist.
        """
        principal = request.principal
        if not storable_identifier(session_id):
            return _unknown(principal, "session")
        found = await self._session_owners(session_id)
        if found is None:
            return _unknown(principal, "session")
        owner = SessionOwner(session_id=session_id, clinic_id=found[0], patient_id=found[1])
        if not principal.may_read(owner.clinic_id):
            self._record_denial(request, owner)
            return Denied(what="session")
        try:
            value = await load(owner)
        except SessionNotFoundError:
            # Gone between the two reads: no answer, so nothing to record.
            return _unknown(principal, "session")
        recorded = await self.record_disclosure(
            request,
            clinic_id=owner.clinic_id,
            patient_ids=[owner.patient_id],
            session_id=session_id,
        )
        return Allowed(value=value, clinic_id=owner.clinic_id, patient_ids=recorded)

    async def clinic(
        self,
        request: ReadRequest,
        *,
        clinic_id: str,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        disclosed: Callable[[T], Iterable[str]],
    ) -> ReadOutcome[T]:
        """A clinic's data over ``period`` (session list, compliance report, ledger): the
        patients ``disclosed`` names in the loaded answer are recorded before it is
        returned. The access report is ``clinic_look``'s."""
        return await self._clinic_read(
            request,
            clinic_id=clinic_id,
            period=period,
            load=load,
            disclosed=disclosed,
            permitted=Principal.may_read,
        )

    async def clinic_look(
        self,
        request: ReadRequest,
        *,
        clinic_id: str,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        patient_id: str | None = None,
    ) -> ReadOutcome[T]:
        """A clinic-level record that lists patients (the access report): one look, one
        access record, whatever and however much it lists, before it is returned.

        Recorded per patient listed, every look at the access report would add a line for
        each patient in it, and the report would fill with its own reader's looks. The
        record names no patient (``-``, stream ``<clinic>/access``) unless the look was
        narrowed to ``patient_id``: that is a look at one patient's accounting, recorded
        as theirs. The reader and the filters are in the record's resource and query.
        """
        # A patient id no event could carry matches no record: the look was at nothing of
        # anyone's, so it is the clinic's (and recording it as a patient would be refused).
        about = patient_id if patient_id is not None and _contract_identifier(patient_id) else None
        if not _contract_identifier(clinic_id):
            # Every look is recorded, and no record can name this clinic: no event could
            # have, so there is nothing of it to show either.
            return _unknown(request.principal, "clinic")
        outcome = await self._clinic_read(
            request,
            clinic_id=clinic_id,
            period=period,
            load=load,
            disclosed=lambda _: [about or CLINIC_LEVEL_PATIENT],
            permitted=Principal.may_read,
        )
        if isinstance(outcome, Allowed) and about is None:
            # The marker stands for no patient: callers counting patients must not see it.
            return replace(outcome, patient_ids=())
        return outcome

    def may_export(self, principal: Principal, clinic_id: str) -> bool:
        """Whether ``principal`` may export ``clinic_id``: a regulator or an admin token,
        within the token's clinics. Cheap: ask before building anything."""
        return principal.may_export(clinic_id)

    async def export(
        self,
        request: ReadRequest,
        *,
        clinic_id: str,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        disclosed: Callable[[T], Iterable[str]],
    ) -> ReadOutcome[T]:
        """As ``clinic``, under the export rule (``may_export``) instead of the reading one."""
        return await self._clinic_read(
            request,
            clinic_id=clinic_id,
            period=period,
            load=load,
            disclosed=disclosed,
            permitted=Principal.may_export,
        )

    async def record_disclosure(
        self,
        request: ReadRequest,
        *,
        clinic_id: str,
        patient_ids: Iterable[str],
        session_id: str | None = None,
    ) -> tuple[str, ...]:
        """Record that the answer shows these patients' data; returns them, sorted, once.

        Fail closed: raises ``UnrecordedReadError`` when the access log does not acknowledge
        within the deadline, and the caller must then not hand the answer over. An answer
        naming no patient (counts only, an empty page) records nothing.
        """
        patients = tuple(sorted(set(patient_ids)))
        if not patients:
            return patients
        try:
            # aiokafka retries an unreachable broker far longer than anyone waits.
            async with asyncio.timeout(self._deadline):
                await self._access_log.record(
                    principal=request.principal,
                    channel=request.channel,
                    resource=request.resource,
                    query=request.query,
                    outcome=AccessOutcome.ALLOWED,
                    clinic_id=clinic_id,
                    patient_ids=patients,
                    session_id=session_id,
                )
        except Exception as error:
            _log.warning("could not record a read of %s: %r", request.resource, error)
            raise UnrecordedReadError(request.resource) from error
        return patients

    async def _clinic_read(
        self,
        request: ReadRequest,
        *,
        clinic_id: str,
        period: Period,
        load: Callable[[Period], Awaitable[T]],
        disclosed: Callable[[T], Iterable[str]],
        permitted: ClinicRule,
    ) -> ReadOutcome[T]:
        principal = request.principal
        if not storable_identifier(clinic_id) or "/" in clinic_id:
            return _unknown(principal, "clinic")
        if not permitted(principal, clinic_id):
            # No denial is recorded: nothing was loaded, so no patient is known, and
            # access records are kept per patient.
            return Denied(what="clinic")
        value = await load(period)
        recorded = await self.record_disclosure(
            request, clinic_id=clinic_id, patient_ids=disclosed(value)
        )
        return Allowed(value=value, clinic_id=clinic_id, patient_ids=recorded)

    def _record_denial(self, request: ReadRequest, owner: SessionOwner) -> None:
        # In the background, after the refusal: waiting would make refusing an existing
        # session slower than refusing a missing one.
        self._access_log.record_denial(
            principal=request.principal,
            channel=request.channel,
            resource=request.resource,
            query=request.query,
            clinic_id=owner.clinic_id,
            patient_id=owner.patient_id,
            session_id=owner.session_id,
            within=self._deadline,
        )


_IDENTIFIER: Final = TypeAdapter(Identifier)


def _contract_identifier(value: str) -> bool:
    """Whether ``value`` is an identifier by the event contract's rules (not blank, no
    control characters), so that an access record may name it."""
    try:
        _IDENTIFIER.validate_python(value, strict=True)
    except ValidationError:
        return False
    return True


def _unknown(principal: Principal, what: str) -> Denied | Missing:
    # Only an admin, who may read every clinic, may learn what does not exist; anyone
    # else gets the refusal they would get for another clinic's data.
    if principal.role is Role.ADMIN:
        return Missing(what=what)
    return Denied(what=what)
