"""The monthly report as a download: the overview's "Download PDF" and "Download CSV".

The same document as the CLI's and the API's (``services.reporting``), for the clinic,
period and filters the overview shows; the file's name carries the period and the
filter, and the patients it names are recorded as read like any page's.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status

from services.http.csv_export import PERIOD_HEADER
from services.http.dashboard.audit import PageRead
from services.http.dashboard.pages import PageError, PageRoute
from services.http.dashboard.scope import FromDay, check_clinic, parse_period, read_as_of
from services.http.deps import Context
from services.period import Period
from services.reporting import (
    PdfUnavailableError,
    ReportDocument,
    ReportFilter,
    load_report_document,
    render_csv,
    render_pdf,
)

__all__ = ["router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)

_MEDIA = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


@router.get("/clinics/{clinic_id}/report.{extension}")
async def report_download(
    clinic_id: str,
    extension: Literal["pdf", "csv"],
    context: Context,
    reads: PageRead,
    from_day: FromDay = "",
    to: str = "",
    status_: Annotated[str, Query(alias="status")] = "",
    protocol: str = "",
    rule: str = "",
    as_of: str = "",
) -> Response:
    check_clinic(clinic_id)
    period = parse_period(from_day, to, context=context, clinic_id=clinic_id)
    choice = read_as_of(as_of, zone=period.zone, now=context.clock.now())
    if choice.error is not None:
        # A download has no page to show the message beside: refuse it, naming the field.
        raise PageError(status.HTTP_400_BAD_REQUEST, "This address is not valid", choice.error)
    instant = choice.instant
    selection = ReportFilter(status=status_, protocol=protocol, rule=rule)

    async def load(chosen: Period) -> ReportDocument:
        return await load_report_document(
            context.queries, clinic_id, chosen, as_of=instant, selection=selection
        )

    document = await reads.clinic(
        clinic_id,
        period=period,
        load=load,
        disclosed=lambda d: d.named_patients(every_session=extension == "csv"),
    )
    try:
        content = (
            await asyncio.to_thread(render_pdf, document)
            if extension == "pdf"
            else render_csv(document).encode("utf-8")
        )
    except PdfUnavailableError as error:
        raise PageError(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "The PDF cannot be made on this server",
            str(error),
            principal=reads.principal,
        ) from None
    name = re.sub(r"[^A-Za-z0-9._-]", "_", document.file_name(extension))
    return Response(
        content,
        media_type=_MEDIA[extension],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            PERIOD_HEADER: period.describe(),
        },
    )
