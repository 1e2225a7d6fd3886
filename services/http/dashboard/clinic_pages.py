"""A clinic's controlled-substance ledger and its accounting of reads."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response, status

from events import AccessOutcome
from services.http.dashboard.access_reads import group_reads
from services.http.dashboard.audit import PageRead
from services.http.dashboard.chrome import chrome
from services.http.dashboard.pages import PageError, PageRoute, render
from services.http.dashboard.scope import (
    FromDay,
    check_clinic,
    check_identifier,
    parse_period,
    read_as_of,
)
from services.http.deps import Context

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@router.get("/clinics/{clinic_id}/ledger")
async def ledger_page(
    request: Request,
    clinic_id: str,
    context: Context,
    reads: PageRead,
    from_day: FromDay = "",
    to: str = "",
    as_of: str = "",
) -> Response:
    check_clinic(clinic_id)
    period = parse_period(from_day, to, context=context, clinic_id=clinic_id)
    choice = read_as_of(as_of, zone=period.zone, now=context.clock.now())
    ledger = await reads.clinic(
        clinic_id,
        period=period,
        load=lambda chosen: context.queries.ledger(
            clinic_id, start=chosen.start, end=chosen.end, as_of=choice.instant
        ),
        disclosed=lambda ledger: (line.patient_id for line in ledger.lines),
    )
    frame = await chrome(
        reads.principal, context, clinic=clinic_id, period=period, section="ledger", as_of=choice
    )
    return render(
        request,
        "ledger.html",
        {**frame, "title": f"Ledger of {clinic_id}", "ledger": ledger},
    )


@router.get("/clinics/{clinic_id}/access")
async def access_page(
    request: Request,
    clinic_id: str,
    context: Context,
    reads: PageRead,
    from_day: FromDay = "",
    to: str = "",
    patient_id: str = "",
    token_name: str = "",
    outcome: str = "",
    hide_mine: str = "",
) -> Response:
    check_clinic(clinic_id)
    period = parse_period(from_day, to, context=context, clinic_id=clinic_id)
    if patient_id:
        check_identifier(patient_id, name="patient_id")
    if token_name:
        check_identifier(token_name, name="token_name", longest=128)
    if outcome not in ("", *(o.value for o in AccessOutcome)):
        raise PageError(
            status.HTTP_400_BAD_REQUEST,
            "Unknown outcome",
            "The outcome filter is allowed, denied, or empty for both.",
            principal=reads.principal,
        )
    # The officer's own looks at the report would otherwise drown everyone else's.
    hidden = reads.principal.name if hide_mine else None
    # One record per look, not per patient listed: the report tells who looked at whom,
    # and a record per line would fill it with its own reader's looks.
    report = await reads.clinic_look(
        clinic_id,
        period=period,
        load=lambda chosen: context.queries.access_report(
            clinic_id,
            start=chosen.start,
            end=chosen.end,
            patient_id=patient_id or None,
            token_name=token_name or None,
            outcome=outcome or None,
            excluded_reader=hidden,
        ),
        patient_id=patient_id or None,
    )
    frame = await chrome(
        reads.principal, context, clinic=clinic_id, period=period, section="access"
    )
    return render(
        request,
        "access.html",
        {
            **frame,
            "title": f"Access report of {clinic_id}",
            "report": report,
            "reads": group_reads(report.lines),
            "filters": {
                "patient_id": patient_id,
                "token_name": token_name,
                "outcome": outcome,
                "hide_mine": bool(hide_mine),
            },
        },
    )
