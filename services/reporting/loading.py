"""Reading a report document from the read models, for every channel alike."""

from __future__ import annotations

from datetime import datetime

from projections.reports import build_clinic_report
from services.judging import JudgedSession, session_start
from services.period import Period
from services.reading.queries import HistoryQueries
from services.reporting.document import ReportDocument, ReportFilter, build_report_document
from services.reporting.thresholds import thresholds_applied

__all__ = ["load_report_document"]


async def load_report_document(
    queries: HistoryQueries,
    clinic_id: str,
    period: Period,
    *,
    as_of: datetime,
    selection: ReportFilter | None = None,
) -> ReportDocument:
    """The clinic's report over ``period``, judged as of ``as_of``: one read of the
    sessions for the verdicts and the figures, one for the ledger."""
    judged = [
        JudgedSession(verdict=verdict, session_start=session_start(history.as_of(as_of)))
        for history, verdict in await queries.verdicts(
            clinic_id, start=period.start, end=period.end, as_of=as_of
        )
    ]
    report = build_clinic_report(
        ((j.verdict, j.session_start) for j in judged),
        clinic_id=clinic_id,
        start=period.start,
        end=period.end,
        as_of=as_of,
    )
    ledger = await queries.ledger(clinic_id, start=period.start, end=period.end, as_of=as_of)
    protocols = {j.verdict.protocol for j in judged if j.verdict.protocol is not None}
    return build_report_document(
        report=report,
        sessions=judged,
        ledger=ledger,
        thresholds=thresholds_applied(
            await queries.profile_history([clinic_id]), clinic_id, protocols, as_of=as_of
        ),
        period=period,
        selection=selection,
    )
