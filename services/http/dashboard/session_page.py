"""One session: its verdict rule by rule, its vital signs charted, its timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

from fastapi import APIRouter, Request, Response

from events import DoseAdministered, PatientDischarged, VitalsRecorded
from projections import SessionHistory, apply_amendments
from projections.compliance import Profile
from projections.timeline import Timeline
from services.clinic_time import clinic_time
from services.http.dashboard.audit import PageRead
from services.http.dashboard.charts import Reading, TimeMarker, VitalsChart, vitals_chart
from services.http.dashboard.chrome import chrome
from services.http.dashboard.pages import PageRoute, render
from services.http.dashboard.scope import AsOfChoice, FromDay, parse_period, read_as_of
from services.http.deps import Context
from services.period import Period
from services.reading import SessionOwner
from services.reading.queries import SessionView

__all__ = ["chart_of", "evidence_labels", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def chart_of(
    history: SessionHistory, profile: Profile | None, *, as_of: datetime, zone: tzinfo
) -> VitalsChart | None:
    """The vitals chart as the record stood at ``as_of``, corrections applied, with the BP
    limits of the session's protocol profile in force then (the ones
    ``vitals.baseline_bp_in_range`` uses); its times on ``zone``'s clock, as the page's."""
    current = history.as_of(as_of)
    readings: list[Reading] = []
    markers: list[TimeMarker] = []
    for item in apply_amendments(current.events):
        event = item.recorded.event
        if isinstance(event, VitalsRecorded):
            p = event.payload
            readings.append(
                Reading(
                    at=event.occurred_at.astimezone(zone),
                    event_id=str(event.event_id),
                    systolic=p.systolic_mmhg,
                    diastolic=p.diastolic_mmhg,
                    heart_rate=p.heart_rate_bpm,
                    spo2=p.spo2_pct,
                )
            )
        elif isinstance(event, DoseAdministered):
            d = event.payload
            given = event.occurred_at.astimezone(zone)
            markers.append(
                TimeMarker(
                    at=given,
                    label=f"dose {d.dose_mg:g} mg",
                    kind="dose",
                    event_id=str(event.event_id),
                )
            )
            if d.infusion_minutes:
                markers.append(
                    TimeMarker(
                        at=given + timedelta(minutes=d.infusion_minutes),
                        label="infusion end",
                        kind="infusion-end",
                        event_id=str(event.event_id),
                    )
                )
        elif isinstance(event, PatientDischarged):
            markers.append(
                TimeMarker(
                    at=event.occurred_at.astimezone(zone),
                    label="discharge",
                    kind="discharge",
                    event_id=str(event.event_id),
                )
            )
    limits: tuple[int | None, int | None] = (None, None)
    if profile is not None:
        limits = (profile.baseline_max_systolic_mmhg, profile.baseline_max_diastolic_mmhg)
    doses = [m.at for m in markers if m.kind == "dose"]
    return vitals_chart(
        readings,
        markers,
        systolic_max=limits[0],
        diastolic_max=limits[1],
        # The limit is judged on the last reading before each dose, never after the last.
        limits_until=max(doses, default=None),
    )


def evidence_labels(timeline: Timeline, zone: tzinfo) -> dict[str, str]:
    """Event id -> "2026-11-24 08:05 UTC-07:00 event type", the text of a rule's links to its
    evidence: the time as the timeline row it points to shows it."""
    return {
        e.event_id: f"{clinic_time(e.occurred_at, zone)} {e.event_type}" for e in timeline.entries
    }


@dataclass(frozen=True, slots=True, kw_only=True)
class _Shown:
    period: Period
    view: SessionView
    chart: VitalsChart | None
    as_of: AsOfChoice
    first_recorded: datetime | None
    """When the log first held anything of this session (its earliest ``recorded_at``)."""


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
    async def load(owner: SessionOwner) -> _Shown:
        # The period only for the links back to the clinic's pages; the as-of is typed on
        # the clinic's clock, known once the owner is.
        period = parse_period(from_day, to, context=context, clinic_id=owner.clinic_id)
        choice = read_as_of(as_of, zone=period.zone, now=context.clock.now())
        view = await context.queries.view(session_id, as_of=choice.instant)
        return _Shown(
            period=period,
            view=view,
            chart=chart_of(view.history, view.profile, as_of=choice.instant, zone=period.zone),
            as_of=choice,
            first_recorded=min((r.recorded_at for r in view.history.events), default=None),
        )

    shown = await reads.session(session_id, load=load)
    verdict, timeline = shown.view.verdict, shown.view.timeline
    frame = await chrome(
        reads.principal,
        context,
        clinic=verdict.clinic_id,
        period=shown.period,
        section="session",
        as_of=shown.as_of,
    )
    first = shown.first_recorded
    return render(
        request,
        "session.html",
        {
            **frame,
            "title": f"Session {session_id}",
            "verdict": verdict,
            "timeline": timeline,
            "chart": shown.chart,
            "evidence": evidence_labels(timeline, shown.period.zone),
            # Judged before the log held anything of it: there is no verdict to show.
            "nothing_recorded": first is None or first > shown.as_of.instant,
            "first_recorded": first,
        },
    )
