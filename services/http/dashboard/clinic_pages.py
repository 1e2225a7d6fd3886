"""A clinic's controlled-substance ledger and its accounting of reads."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from services.http.api.availability import BrokerTimeout
from services.http.dashboard.access_reads import group_reads
from services.http.dashboard.audit import record_view
from services.http.dashboard.chrome import chrome
from services.http.dashboard.pages import PageRoute, render
from services.http.dashboard.scope import (
    FromDay,
    Reader,
    check_identifier,
    parse_as_of,
    parse_period,
    require_clinic,
)
from services.http.deps import Context

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/clinics/{clinic_id}/ledger")
async def ledger_page(
    request: Request,
    broker_wait: BrokerTimeout,
    clinic_id: str,
    context: Context,
    principal: Reader,
    from_day: FromDay = "",
    to: str = "",
    as_of: str = "",
) -> Response:
    require_clinic(principal, clinic_id)
    period = parse_period(from_day, to, context=context, clinic_id=clinic_id)
    ledger = await context.queries.ledger(
        clinic_id, start=period.start, end=period.end, as_of=parse_as_of(as_of)
    )
    await record_view(
        request,
        context,
        principal=principal,
        clinic_id=clinic_id,
        patient_ids=(line.patient_id for line in ledger.lines),
        within=broker_wait,
    )
    frame = await chrome(principal, context, clinic=clinic_id, period=period, section="ledger")
    return render(
        request,
        "ledger.html",
        {**frame, "title": f"Ledger of {clinic_id}", "ledger": ledger},
    )


@router.get("/clinics/{clinic_id}/access")
async def access_page(
    request: Request,
    broker_wait: BrokerTimeout,
    clinic_id: str,
    context: Context,
    principal: Reader,
    from_day: FromDay = "",
    to: str = "",
    patient_id: str = "",
    token_name: str = "",
) -> Response:
    require_clinic(principal, clinic_id)
    period = parse_period(from_day, to, context=context, clinic_id=clinic_id)
    if patient_id:
        check_identifier(patient_id, name="patient_id")
    if token_name:
        check_identifier(token_name, name="token_name", longest=128)
    report = await context.queries.access_report(
        clinic_id,
        start=period.start,
        end=period.end,
        patient_id=patient_id or None,
        token_name=token_name or None,
    )
    # Who read a patient's record is itself about that patient: accounted for like any read.
    await record_view(
        request,
        context,
        principal=principal,
        clinic_id=clinic_id,
        patient_ids=(line.patient_id for line in report.lines),
        within=broker_wait,
    )
    frame = await chrome(principal, context, clinic=clinic_id, period=period, section="access")
    return render(
        request,
        "access.html",
        {
            **frame,
            "title": f"Access report of {clinic_id}",
            "report": report,
            "reads": group_reads(report.lines),
            "filters": {"patient_id": patient_id, "token_name": token_name},
        },
    )
