"""``/v1/exports``: a regulator's signed export bundles, requested, followed, downloaded.

An export is an audited read: the bundle is made in the background, and before a byte
of it is written the access log records the token, the range and every patient in it
(``services.exporting.disclosure``, through ``services.reading``). A token sees only
its own exports (an admin sees all); another's id is answered 404, as one that does not
exist, so that ids cannot be probed.
"""

from __future__ import annotations

import asyncio
import json
import zipfile
from typing import Annotated, Final
from zoneinfo import ZoneInfo

from fastapi import APIRouter, HTTPException, Query, status
from fastapi.responses import FileResponse, JSONResponse

from events import AccessChannel
from services.auth import Principal, Role
from services.bodies.common import PeriodOut
from services.exporting.ports import ExportRecord, ExportStatus, Requester
from services.exporting.queue import ExportQueue
from services.exporting.service import ExportError, NoSigningKeyError, UnknownClinicError
from services.exporting.visibility import visible_to
from services.http.api.export_models import (
    ExportAccepted,
    ExportLinks,
    ExportList,
    ExportOut,
    NewExport,
)
from services.http.api.guards import not_permitted
from services.http.api.models import error_responses
from services.http.api.problems import InvalidRequest
from services.http.api.routing import ApiRoute
from services.http.availability import BrokerTimeout
from services.http.deps import Context, CurrentPrincipal
from services.http.limits import charge_expensive
from services.http.outage import RETRY_AFTER_SECONDS
from services.http.reading import Reads
from services.period import Period, PeriodError, parse_bound, resolve_period

__all__ = ["export_links", "router"]

router = APIRouter(route_class=ApiRoute, tags=["exports"])

_EXPORTERS: Final = (Role.REGULATOR, Role.ADMIN)
_NO_SUCH_EXPORT: Final = "no such export"
_NOT_OFFERED = "exports are not offered: the server has no signing key to sign them with"
_UNRECORDABLE = (
    "the access log cannot record the export's disclosures now, so none is started; retry later"
)
_404 = {404: "No such export, or another token's (ids cannot be probed)."}


def export_links(export_id: str) -> ExportLinks:
    return ExportLinks(status=f"/v1/exports/{export_id}", bundle=f"/v1/exports/{export_id}/bundle")


@router.post(
    "/exports",
    summary="Request a signed export bundle of a clinic's log for a period (regulator, admin)",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ExportAccepted,
    responses={
        202: {
            "description": "Filed; the bundle is made in the background.",
            "headers": {"Location": {"schema": {"type": "string"}, "description": "Status."}},
        },
        **error_responses(401, 403, 422, 503),
    },
)
async def request_export(
    body: NewExport,
    principal: CurrentPrincipal,
    context: Context,
    reads: Reads,
    broker_wait: BrokerTimeout,
) -> JSONResponse:
    """Answers 202 at once; follow `links.status` until `done`, then get `links.bundle`.
    The access log records one read per exported patient, naming this token and the range,
    before the bundle is written; if it cannot, the export fails and says so."""
    if not reads.may_export(principal, body.clinic_id):
        # Nothing was loaded, so no patient is known: as services.reading refuses a
        # clinic read, no access record is written for it.
        raise not_permitted()
    queue = _queue(context)
    period = _period(body, context)
    charge_expensive(context, principal)
    if not await _broker_answers(context, within=broker_wait):
        raise _unavailable(_UNRECORDABLE)
    try:
        record = await queue.submit(
            clinic_id=body.clinic_id,
            period=period,
            patient_id=body.patient_id,
            previous_sizes=body.previous_sizes,
            requester=Requester(
                name=principal.name, role=principal.role, channel=AccessChannel.API
            ),
        )
    except UnknownClinicError as error:
        raise InvalidRequest.about("clinic_id", str(error)) from None
    except NoSigningKeyError:
        raise _unavailable(_NOT_OFFERED) from None
    except ExportError as error:
        raise InvalidRequest.about("previous_sizes", str(error)) from None
    accepted = ExportAccepted(
        export_id=record.export_id, status=record.status, links=export_links(record.export_id)
    )
    return JSONResponse(
        status_code=status.HTTP_202_ACCEPTED,
        content=accepted.model_dump(mode="json"),
        headers={"Location": accepted.links.status},
    )


@router.get(
    "/exports",
    summary="The exports this token may see, newest first",
    response_model=ExportList,
    responses=error_responses(401, 403, 503),
)
async def list_exports(
    principal: CurrentPrincipal,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many.")] = 100,
) -> ExportList:
    """A regulator token's own requests; every export for an admin token."""
    _require_exporter(principal)
    records = await _queue(context).recent(
        requested_by=None if principal.role is Role.ADMIN else principal.name, limit=limit
    )
    return ExportList(items=[_out(record) for record in records if visible_to(principal, record)])


@router.get(
    "/exports/{export_id}",
    summary="An export's status and progress",
    response_model=ExportOut,
    responses=error_responses(401, 403, 404, 503, descriptions=_404),
)
async def export_status(export_id: str, principal: CurrentPrincipal, context: Context) -> ExportOut:
    """Progress is `entries_written` of `entries_expected`; `counts` once `done`."""
    return _out(await _visible(export_id, principal, context))


@router.get(
    "/exports/{export_id}/bundle",
    summary="Download the bundle: a zip of the BagIt bag (docs/EXPORT-FORMAT.md)",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The zip, `application/zip`, as an attachment.",
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
        },
        **error_responses(
            401,
            403,
            404,
            409,
            410,
            503,
            descriptions={
                **_404,
                403: "Another token's export: the bundle is handed only to the token its "
                "disclosures were recorded for.",
                409: "Not `done` (yet): queued, running or failed.",
                410: "Done, but the bundle was removed from the export directory.",
            },
        ),
    },
)
async def export_bundle(
    export_id: str, principal: CurrentPrincipal, context: Context
) -> FileResponse:
    """Streamed from the export directory. Only the token that requested the export may
    download it: the access log names that token as the one the patients were disclosed to."""
    record = await _visible(export_id, principal, context)
    if record.requested_by != principal.name:
        raise not_permitted(
            "only the token that requested an export may download it: the access log "
            "records its disclosures under that token; request an export of your own"
        )
    if record.status is not ExportStatus.DONE:
        detail = f"the export is {record.status.value}"
        if record.status is ExportStatus.FAILED:
            detail += f": {record.error}"
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=detail)
    if not record.bundle_path.is_file():
        raise HTTPException(
            status_code=status.HTTP_410_GONE, detail="the bundle was removed from the server"
        )
    return FileResponse(
        record.bundle_path, media_type="application/zip", filename=f"{record.export_id}.zip"
    )


def _require_exporter(principal: Principal) -> None:
    if principal.role not in _EXPORTERS:
        raise not_permitted("only regulator and admin tokens have exports")


async def _visible(export_id: str, principal: Principal, context: Context) -> ExportRecord:
    _require_exporter(principal)
    # Ids are exp-<32 hex>; anything longer cannot be one, and needs no database trip.
    record = await _queue(context).status(export_id) if len(export_id) <= 40 else None
    if record is None or not visible_to(principal, record):
        raise HTTPException(status_code=status.HTTP_404_NOT_FOUND, detail=_NO_SUCH_EXPORT)
    return record


def _queue(context: Context) -> ExportQueue:
    if context.exports is None:
        raise _unavailable(_NOT_OFFERED)
    return context.exports


def _period(body: NewExport, context: Context) -> Period:
    try:
        # 'to' first, as the report endpoints answer an address wrong in both.
        end = parse_bound(body.to, parameter="to") if body.to is not None else None
        start = parse_bound(body.start, parameter="from") if body.start is not None else None
        return resolve_period(
            start, end, zone=context.zones.for_clinic(body.clinic_id), now=context.clock.now()
        )
    except PeriodError as problem:
        raise InvalidRequest.about(problem.parameter, problem.message) from None


async def _broker_answers(context: Context, *, within: float) -> bool:
    # The disclosures are recorded later, in the background; a broker that does not
    # answer now would only make the export fail there, after the client was told 202.
    try:
        async with asyncio.timeout(within):
            return await context.broker_ready()
    except Exception:
        return False


def _unavailable(detail: str) -> HTTPException:
    return HTTPException(
        status_code=status.HTTP_503_SERVICE_UNAVAILABLE,
        detail=detail,
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


def _out(record: ExportRecord) -> ExportOut:
    return ExportOut(
        export_id=record.export_id,
        clinic_id=record.clinic_id,
        patient_id=record.patient_id,
        period=PeriodOut.of(
            Period(
                start=record.period_start,
                end=record.period_end,
                zone=ZoneInfo(record.time_zone),
            )
        ),
        requested_by=record.requested_by,
        requester_role=record.requester_role,
        status=record.status,
        entries_written=record.entries_written,
        entries_expected=record.entries_expected,
        checkpoint_size=record.checkpoint_size,
        counts=_counts(record) if record.status is ExportStatus.DONE else None,
        error=record.error,
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        links=export_links(record.export_id),
    )


def _counts(record: ExportRecord) -> dict[str, int] | None:
    """The manifest's counts, from the zip (a few hundred bytes of it)."""
    try:
        with zipfile.ZipFile(record.bundle_path) as bundle:
            manifest = json.loads(bundle.read(f"{record.export_id}/manifest.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile):
        return None
    counts = manifest.get("counts")
    if not isinstance(counts, dict):
        return None
    return {str(k): v for k, v in counts.items() if isinstance(v, int) and v >= 0}
