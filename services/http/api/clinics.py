"""A clinic's compliance report, controlled-substance ledger and access report."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status

from events import AccessOutcome
from services.bodies.access import AccessReport
from services.bodies.common import PeriodOut
from services.bodies.ledger import ControlledSubstanceLedger
from services.bodies.report import ComplianceReport
from services.csv_tables import ledger_csv, report_csv
from services.http.api.auditing import AuditedRead
from services.http.api.models import NO_SUCH_CLINIC, error_responses
from services.http.api.params import AsOf, ClinicIdPath, PatientIdQuery, RequestedPeriod
from services.http.api.report_formats import FormatQuery, chosen_format, printable_response
from services.http.api.routing import ApiRoute
from services.http.csv_export import PERIOD_HEADER, csv_response, wants_csv
from services.http.deps import Context
from services.judging import JudgedSession, session_start
from services.period import Period
from services.reporting import PdfUnavailableError, load_report_document

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["clinics"])

_ERRORS = error_responses(401, 403, 404, 422, 503, descriptions=NO_SUCH_CLINIC)


def _json_or_csv(*, printable: bool = False) -> dict[int | str, dict[str, Any]]:
    # The JSON body is the route's response_model; these are its other forms.
    extra = (
        " The printable report as `text/html` or `application/pdf` (by Accept, or "
        "`format=html|pdf`), with `Content-Disposition`."
        if printable
        else ""
    )
    media: dict[str, Any] = (
        {
            "text/html": {"schema": {"type": "string"}},
            "application/pdf": {"schema": {"type": "string", "format": "binary"}},
        }
        if printable
        else {}
    )
    return {
        200: {
            "description": "JSON, or CSV when the request sends `Accept: text/csv`." + extra,
            "content": {"text/csv": {"schema": {"type": "string"}}, **media},
            "headers": {
                PERIOD_HEADER: {
                    "schema": {"type": "string"},
                    "description": "CSV, HTML and PDF: the exact period, as the JSON's "
                    "`period.description`.",
                }
            },
        },
        **_ERRORS,
    }


@router.get(
    "/clinics/{clinic_id}/compliance-report",
    summary="Compliance over a period: rates, failures by rule, failing sessions",
    response_model=ComplianceReport,
    responses=_json_or_csv(printable=True),
)
async def compliance_report(
    request: Request,
    clinic_id: ClinicIdPath,
    period: RequestedPeriod,
    as_of: AsOf,
    reads: AuditedRead,
    context: Context,
    format_: FormatQuery = None,
) -> Response | ComplianceReport:
    """JSON: the report's figures and failing sessions. CSV: one row per session (id,
    start, protocol, patient, status, failed rules). HTML or PDF: the printable monthly
    report (``docs/COMPLIANCE.md``), its failing and undecided sessions' patients
    recorded as read."""
    instant = as_of.at(context.zones.for_clinic(clinic_id)) or context.clock.now()
    form = chosen_format(format_, request.headers.get("accept"))
    if form in ("html", "pdf"):
        document = await reads.clinic(
            clinic_id,
            period=period,
            load=lambda chosen: load_report_document(
                context.queries, clinic_id, chosen, as_of=instant
            ),
            disclosed=lambda document: document.named_patients(every_session=False),
        )
        try:
            # Laying out a month's PDF takes a while: off the event loop.
            return await asyncio.to_thread(printable_response, document, form, period=period)
        except PdfUnavailableError as error:
            raise HTTPException(
                status_code=status.HTTP_503_SERVICE_UNAVAILABLE, detail=str(error)
            ) from None
    if form == "csv":

        async def rows(chosen: Period) -> list[JudgedSession]:
            return [
                JudgedSession(verdict=verdict, session_start=session_start(history.as_of(instant)))
                for history, verdict in await context.queries.verdicts(
                    clinic_id, start=chosen.start, end=chosen.end, as_of=instant
                )
            ]

        judged = await reads.clinic(
            clinic_id,
            period=period,
            load=rows,
            disclosed=lambda judged: (j.verdict.patient_id for j in judged),
        )
        return csv_response(
            report_csv(judged),
            filename=_filename(clinic_id, "compliance-report", period),
            period=period,
        )
    report = await reads.clinic(
        clinic_id,
        period=period,
        load=lambda chosen: context.queries.clinic_report(
            clinic_id, start=chosen.start, end=chosen.end, as_of=instant
        ),
        # Counts disclose no one; the failing sessions name their patients.
        disclosed=lambda report: (s.patient_id for s in report.failing_sessions),
    )
    return ComplianceReport.from_read_model(report, period=PeriodOut.of(period))


@router.get(
    "/clinics/{clinic_id}/controlled-substances",
    summary="The controlled-substance ledger: every administration and waste",
    response_model=ControlledSubstanceLedger,
    responses=_json_or_csv(),
)
async def controlled_substances(
    request: Request,
    clinic_id: ClinicIdPath,
    period: RequestedPeriod,
    as_of: AsOf,
    reads: AuditedRead,
    context: Context,
) -> Response | ControlledSubstanceLedger:
    """Lines whose clinical time lies in the period, as recorded by ``as_of``, with totals
    by lot and medication (JSON) or one row per line (CSV)."""
    instant = as_of.at(context.zones.for_clinic(clinic_id))
    ledger = await reads.clinic(
        clinic_id,
        period=period,
        load=lambda chosen: context.queries.ledger(
            clinic_id, start=chosen.start, end=chosen.end, as_of=instant
        ),
        disclosed=lambda ledger: (line.patient_id for line in ledger.lines),
    )
    if wants_csv(request.headers.get("accept")):
        return csv_response(
            ledger_csv(ledger),
            filename=_filename(clinic_id, "controlled-substances", period),
            period=period,
        )
    return ControlledSubstanceLedger.from_read_model(ledger, period=PeriodOut.of(period))


@router.get(
    "/clinics/{clinic_id}/access-report",
    summary="Who read this clinic's patient data, newest first",
    response_model=AccessReport,
    responses={200: {"description": "Reads in the period, newest first."}, **_ERRORS},
)
async def access_report(
    clinic_id: ClinicIdPath,
    period: RequestedPeriod,
    reads: AuditedRead,
    context: Context,
    patient_id: PatientIdQuery = None,
    token_name: Annotated[
        str | None, Query(pattern=r"^[^\x00]{1,128}$", description="Only reads by this token.")
    ] = None,
    outcome: Annotated[
        AccessOutcome | None, Query(description="Only `allowed` or only `denied` reads.")
    ] = None,
    exclude_reader: Annotated[
        str | None,
        Query(
            pattern=r"^[^\x00]{1,128}$",
            description="Leave out this token's reads, e.g. your own.",
        ),
    ] = None,
) -> AccessReport:
    """Reads recorded in the period. Reading it is itself recorded, since it tells who
    looked at whom: once per look (patient `-`, or the `patient_id` asked for), not once
    per patient in it, so that the report does not fill with its own readers' looks."""
    report = await reads.clinic_look(
        clinic_id,
        period=period,
        load=lambda chosen: context.queries.access_report(
            clinic_id,
            start=chosen.start,
            end=chosen.end,
            patient_id=patient_id,
            token_name=token_name,
            outcome=outcome.value if outcome else None,
            excluded_reader=exclude_reader,
        ),
        patient_id=patient_id,
    )
    return AccessReport.from_read_model(report, period=PeriodOut.of(period))


def _filename(clinic_id: str, what: str, period: Period) -> str:
    """Named by the days it covers, both included, at the clinic."""
    return f"{clinic_id}-{what}-{period.first}-to-{period.last}.csv"
