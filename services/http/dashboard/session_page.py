"""One session: its verdict rule by rule, its vital signs charted, its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response

from events import DoseAdministered, PatientDischarged, VitalsRecorded
from projections import SessionHistory, apply_amendments
from projections.compliance import Profile
from projections.timeline import Timeline
from services.http.dashboard.audit import PageRead
from services.http.dashboard.charts import Reading, TimeMarker, VitalsChart, vitals_chart
from services.http.dashboard.chrome import chrome
from services.http.dashboard.pages import PageRoute, render
from services.http.dashboard.scope import FromDay, parse_as_of, parse_period
from services.http.deps import Context
from services.period import Period
from services.queries import SessionView
from services.reading import SessionOwner

__all__ = ["chart_of", "evidence_labels", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def chart_of(
    history: SessionHistory, profile: Profile | None, *, as_of: datetime
) -> VitalsChart | None:
    """The vitals chart as the record stood at ``as_of``, corrections applied, with the BP
    limits of the session's protocol profile in force then (the ones
    ``vitals.baseline_bp_in_range`` uses)."""
    current = history.as_of(as_of)
    readings: list[Reading] = []
    markers: list[TimeMarker] = []
    for item in apply_amendments(current.events):
        event = item.recorded.event
        if isinstance(event, VitalsRecorded):
            p = event.payload
            readings.append(
                Reading(
                    at=event.occurred_at,
                    event_id=str(event.event_id),
                    systolic=p.systolic_mmhg,
                    diastolic=p.diastolic_mmhg,
                    heart_rate=p.heart_rate_bpm,
                    spo2=p.spo2_pct,
                )
            )
        elif isinstance(event, DoseAdministered):
            d = event.payload
            markers.append(
                TimeMarker(
                    at=event.occurred_at,
                    label=f"dose {d.dose_mg:g} mg",
                    kind="dose",
                    event_id=str(event.event_id),
                )
            )
            if d.infusion_minutes:
                markers.append(
                    TimeMarker(
                        at=event.occurred_at + timedelta(minutes=d.infusion_minutes),
                        label="infusion end",
                        kind="infusion-end",
                        event_id=str(event.event_id),
                    )
                )
        elif isinstance(event, PatientDischarged):
            markers.append(
                TimeMarker(
                    at=event.occurred_at,
                    label="discharge",
                    kind="discharge",
                    event_id=str(event.event_id),
                )
            )
    limits: tuple[int | None, int | None] = (None, None)
    if profile is not None:
        limits = (profile.baseline_max_systolic_mmhg, profile.baseline_max_diastolic_mmhg)
    return vitals_chart(readings, markers, systolic_max=limits[0], diastolic_max=limits[1])


def evidence_labels(timeline: Timeline) -> dict[str, str]:
    """Event id -> "HH:MM event type", the text of a rule's links to its evidence."""
    return {e.event_id: f"{e.occurred_at:%H:%M} {e.event_type}" for e in timeline.entries}


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shown:
    period: Period
    view: SessionView
    chart: VitalsChart | None


@router.get("/sessions/{session_id}")
async def session_page(
    request: Request,
    session_id: str,
    context: Context,
    reads: PageRead,
    as_of: str = "",
    from_day: FromDay = "",
    to: str = "",
) -> Response:
    instant = parse_as_of(as_of) or context.clock.now()

    async def load(owner: SessionOwner) -> _Shown:
        # Only for the links back to the clinic's pages: the period of its clinic's days.
        period = parse_period(from_day, to, context=context, clinic_id=owner.clinic_id)
        view = await context.queries.view(session_id, as_of=instant)
        return _Shown(
            period=period, view=view, chart=chart_of(view.history, view.profile, as_of=instant)
        )

    shown = await reads.session(session_id, load=load)
    verdict, timeline = shown.view.verdict, shown.view.timeline
    frame = await chrome(
        reads.principal, context, clinic=verdict.clinic_id, period=shown.period, section="session"
    )
    return render(
        request,
        "session.html",
        {
            **frame,
            "title": f"Session {session_id}",
            "verdict": verdict,
            "timeline": timeline,
            "chart": shown.chart,
            "evidence": evidence_labels(timeline),
            "as_of_text": as_of,
        },
    )
