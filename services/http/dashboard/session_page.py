"""One session: its verdict rule by rule, its vital signs charted, its timeline."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, Request, Response, status

from events import DoseAdministered, PatientDischarged, VitalsRecorded
from projections import SessionHistory, apply_amendments
from projections.timeline import Timeline
from services.auth import Principal, Role
from services.http.api.availability import BrokerTimeout
from services.http.context import HttpContext
from services.http.dashboard.audit import record_refusal, record_view
from services.http.dashboard.charts import Reading, TimeMarker, VitalsChart, vitals_chart
from services.http.dashboard.chrome import chrome
from services.http.dashboard.pages import PageError, PageRoute, render
from services.http.dashboard.scope import (
    FromDay,
    Reader,
    parse_as_of,
    parse_period,
)
from services.http.deps import Context
from services.queries import SessionNotFoundError
from services.reading import storable_identifier

__all__ = ["chart_of", "evidence_labels", "router"]

router = APIRouter(route_class=PageRoute, include_in_schema=False)


def chart_of(
    history: SessionHistory, context: HttpContext, *, as_of: datetime
) -> VitalsChart | None:
    """The vitals chart as the record stood at ``as_of``, corrections applied, with the BP
    limits of the session's protocol profile (the ones ``vitals.baseline_bp_in_range`` uses)."""
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
    if current.protocol is not None:
        profile = context.queries.profiles.for_clinic(history.clinic_id, current.protocol)
        limits = (profile.baseline_max_systolic_mmhg, profile.baseline_max_diastolic_mmhg)
    return vitals_chart(readings, markers, systolic_max=limits[0], diastolic_max=limits[1])


def evidence_labels(timeline: Timeline) -> dict[str, str]:
    """Event id -> "HH:MM event type", the text of a rule's links to its evidence."""
    return {e.event_id: f"{e.occurred_at:%H:%M} {e.event_type}" for e in timeline.entries}


@router.get("/sessions/{session_id}")
async def session_page(
    request: Request,
    broker_wait: BrokerTimeout,
    session_id: str,
    context: Context,
    principal: Reader,
    as_of: str = "",
    from_day: FromDay = "",
    to: str = "",
) -> Response:
    instant = parse_as_of(as_of) or context.clock.now()
    if not storable_identifier(session_id):
        # No session can have this id: refused exactly as a missing one, as the API does.
        raise _missing(principal, session_id)
    # Only the session's clinic is read before the token's scope is checked, so refusing
    # another clinic's session takes as long as refusing a missing one.
    owner = await context.queries.clinic_and_patient_of(session_id)
    if owner is None:
        raise _missing(principal, session_id)
    clinic_id, patient_id = owner
    if not principal.may_read(clinic_id):
        # The same page as for a session that does not exist: a scoped token must not
        # learn which sessions (or clinics) exist beyond its own. The attempt is still
        # accounted for in the access log (in the background), as the API does.
        record_refusal(
            request,
            context,
            principal=principal,
            clinic_id=clinic_id,
            patient_id=patient_id,
            session_id=session_id,
        )
        raise _not_permitted(principal)
    # Only for the links back to the clinic's pages: the period of its clinic's days.
    period = parse_period(from_day, to, context=context, clinic_id=clinic_id)
    try:
        view = await context.queries.view(session_id, as_of=instant)
    except SessionNotFoundError:
        raise _missing(principal, session_id) from None
    verdict, timeline = view.verdict, view.timeline
    chart = chart_of(view.history, context, as_of=instant)
    await record_view(
        request,
        context,
        principal=principal,
        clinic_id=verdict.clinic_id,
        patient_ids=[verdict.patient_id],
        session_id=session_id,
        within=broker_wait,
    )
    frame = await chrome(
        principal, context, clinic=verdict.clinic_id, period=period, section="session"
    )
    return render(
        request,
        "session.html",
        {
            **frame,
            "title": f"Session {session_id}",
            "verdict": verdict,
            "timeline": timeline,
            "chart": chart,
            "evidence": evidence_labels(timeline),
            "as_of_text": as_of,
        },
    )


def _missing(principal: Principal, session_id: str) -> PageError:
    """An admin is told the session is not in the log; anyone else gets ``_not_permitted``."""
    if principal.role is Role.ADMIN:
        return PageError(
            status.HTTP_404_NOT_FOUND,
            "No such session",
            f"No session {session_id!r} is in the log.",
            principal=principal,
        )
    return _not_permitted(principal)


def _not_permitted(principal: Principal) -> PageError:
    return PageError(
        status.HTTP_403_FORBIDDEN,
        "Not permitted",
        f"The token {principal.name!r} may not read this session.",
        principal=principal,
    )
