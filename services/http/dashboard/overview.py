"""The overview: a clinic's compliance over a period, and every session with its verdict."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request, Response

from projections.compliance import Outcome, SessionStatus, SessionVerdict
from projections.reports import ClinicReport, build_clinic_report
from services.http.context import HttpContext
from services.http.dashboard.audit import PageRead
from services.http.dashboard.charts import bar_chart
from services.http.dashboard.chrome import chrome, period_params
from services.http.dashboard.pages import PageRoute, render
from services.http.dashboard.scope import (
    FromDay,
    Reader,
    choose_clinic,
    parse_period,
    read_as_of,
)
from services.http.dashboard.templating import link
from services.http.deps import Context
from services.period import Period
from services.reporting import ReportFilter

__all__ = ["SORT_KEYS", "SessionRow", "clinic_verdicts", "router", "select_rows"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class SessionRow:
    session_id: str
    start: datetime | None
    protocol: str
    patient_id: str
    status: str
    failed_rules: tuple[str, ...]
    pending_rules: tuple[tuple[str, datetime | None], ...] = ()
    """(rule id, due) of each pending rule; due is None when no deadline is known."""
    reasons: tuple[str, ...] = ()
    """Each failed rule's sentence, in ``failed_rules``' order: printed under the ids."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Overview:
    report: ClinicReport
    rows: list[SessionRow]
    shown: list[SessionRow]


_STATUS_ORDER = {s.value: i for i, s in enumerate(SessionStatus)}

SORT_KEYS: dict[str, Callable[[SessionRow], tuple[Any, ...]]] = {
    "session": lambda r: (r.session_id,),
    "start": lambda r: (r.start is None, r.start.timestamp() if r.start else 0.0, r.session_id),
    "protocol": lambda r: (r.protocol, r.session_id),
    "patient": lambda r: (r.patient_id, r.session_id),
    "status": lambda r: (_STATUS_ORDER.get(r.status, 99), r.session_id),
    "failed": lambda r: (len(r.failed_rules), r.failed_rules, r.session_id),
}
"""``sort=`` values (``-`` in front for descending) and what each orders by."""


async def clinic_verdicts(
    context: HttpContext, clinic_id: str, period: Period, *, as_of: datetime
) -> tuple[ClinicReport, list[SessionRow]]:
    """The clinic report and one row per session, from a single read of the histories.

    Judged as ``SqlComplianceQueries.clinic_report`` judges, but keeping every verdict (the
    report keeps only the failing ones) without reading each session again.
    """
    # Stored verdicts where they still hold (``HistoryQueries.judged_starts``).
    pairs: list[tuple[SessionVerdict, datetime | None]] = await context.queries.judged_starts(
        clinic_id, start=period.start, end=period.end, as_of=as_of
    )
    report = build_clinic_report(
        pairs, clinic_id=clinic_id, start=period.start, end=period.end, as_of=as_of
    )
    rows = [
        SessionRow(
            session_id=verdict.session_id,
            start=start,
            protocol=verdict.protocol.value if verdict.protocol else "unknown",
            patient_id=verdict.patient_id,
            status=verdict.status.value,
            failed_rules=tuple(r.rule_id for r in verdict.failed_rules),
            pending_rules=tuple(
                (r.rule_id, r.due) for r in verdict.rules if r.outcome is Outcome.PENDING
            ),
            reasons=tuple(r.detail for r in verdict.failed_rules),
        )
        for verdict, start in pairs
    ]
    return report, rows


def select_rows(
    rows: list[SessionRow], *, status: str, protocol: str, rule: str, sort: str
) -> list[SessionRow]:
    """The rows the filters keep, in the order ``sort`` asks (unknown keys: by start)."""
    kept = [
        r
        for r in rows
        if (not status or r.status == status)
        and (not protocol or r.protocol == protocol)
        and (not rule or rule in r.failed_rules)
    ]
    key = sort.removeprefix("-")
    return sorted(kept, key=SORT_KEYS.get(key, SORT_KEYS["start"]), reverse=sort.startswith("-"))


@router.get("/overview")
async def overview(
    request: Request,
    context: Context,
    principal: Reader,
    reads: PageRead,
    clinic: str = "",
    from_day: FromDay = "",
    to: str = "",
    status: str = "",
    protocol: str = "",
    rule: str = "",
    sort: str = "start",
    as_of: str = "",
) -> Response:
    chosen = await choose_clinic(principal, context, clinic)
    period = parse_period(from_day, to, context=context, clinic_id=chosen)
    choice = read_as_of(as_of, zone=period.zone, now=context.clock.now())
    instant = choice.instant
    frame = await chrome(
        principal, context, clinic=chosen, period=period, section="overview", as_of=choice
    )
    if chosen is None:
        return render(request, "overview.html", {**frame, "report": None, "title": "Overview"})

    async def load(chosen_period: Period) -> _Overview:
        report, rows = await clinic_verdicts(context, chosen, chosen_period, as_of=instant)
        shown = select_rows(rows, status=status, protocol=protocol, rule=rule, sort=sort)
        return _Overview(report=report, rows=rows, shown=shown)

    loaded = await reads.clinic(
        chosen,
        period=period,
        load=load,
        # Only the rows the filters keep are on the page.
        disclosed=lambda overview: (r.patient_id for r in overview.shown),
    )
    report, rows, shown = loaded.report, loaded.rows, loaded.shown
    params = {
        **period_params(chosen, period, choice),
        "status": status,
        "protocol": protocol,
        "rule": rule,
        "sort": sort,
    }
    return render(
        request,
        "overview.html",
        {
            **frame,
            "title": f"Overview of {chosen}",
            "report": report,
            "rows": shown,
            "all_rows": len(rows),
            "params": params,
            "filters": {"status": status, "protocol": protocol, "rule": rule},
            "statuses": [s.value for s in SessionStatus],
            "protocols": sorted({r.protocol for r in rows}),
            "sort": sort,
            "chart": bar_chart(
                report.failures_by_rule,
                href=lambda rule_id: link("/overview", params, rule=rule_id) + "#sessions",
            ),
            "as_of_text": as_of,
            # The downloads carry what the page shows: period, filters, judging instant.
            "downloads": {
                key: value for key, value in params.items() if key not in ("clinic", "sort")
            },
            "selection": ReportFilter(status=status, protocol=protocol, rule=rule),
        },
    )
