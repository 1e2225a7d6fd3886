"""``data/reports/rems-monitoring-forms.csv``: one SPRAVATO Patient Monitoring Form a session.

The REMS asks for a form after every session (KAP-DOMAIN.md, SPRAVATO REMS): treatment
date; dose (56 mg, 84 mg or other) and lot; concomitant benzodiazepines, sedative
hypnotics, psychostimulants and MAOIs; minutes from the first device administration to the
end of monitoring and until the patient was ready to leave; whether vitals were acceptable
before administration and before completion; blood pressure before dosing, at 40 minutes
and before completion; whether sedation, dissociation or respiratory depression occurred;
the monitoring provider. Each field is read from the session's corrected events, by the
same profile thresholds its verdict uses:

- the end of monitoring is the last monitoring check at or before discharge; the patient
  was ready to leave at a discharge recorded as clinically stable;
- vitals were acceptable before administration when the last blood pressure before the
  first dose was within the profile's limits (140/90 by default), and before completion
  when the discharge says the patient was clinically stable;
- the 40-minute reading is the first in the profile's window (30-50 min by default);
- sedation and dissociation occurred when a check after the dose saw them or an adverse
  event reports them; respiratory depression when an adverse event reports it.

kapaudit's events do not carry the patient's concomitant medications; those columns say
``not recorded`` rather than suggesting "none".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from events import (
    AdverseEventCategory,
    DoseAdministered,
    Medication,
    Protocol,
    Sedation,
    SessionScheduled,
    VitalsRecorded,
)
from projections import PatientHistory, SessionHistory
from projections.amendments import amend_streams
from projections.compliance import Profile, SessionFacts
from services.csv_tables import csv_table

__all__ = [
    "NOT_RECORDED",
    "REMS_COLUMNS",
    "rems_form_order",
    "rems_form_row",
    "rems_forms_csv",
]

NOT_RECORDED: Final = "not recorded"

REMS_COLUMNS: Final = (
    "session_id",
    "patient_id",
    "rems_enrollment_id",
    "setting_id",
    "treatment_date",
    "first_administration_at",
    "dose_mg",
    "dose",
    "lot_number",
    "ndc",
    "concomitant_benzodiazepines",
    "concomitant_sedative_hypnotics",
    "concomitant_psychostimulants",
    "concomitant_maois",
    "minutes_to_end_of_monitoring",
    "minutes_until_ready_to_leave",
    "vitals_acceptable_before_administration",
    "vitals_acceptable_before_completion",
    "bp_before_dosing",
    "bp_at_40_min",
    "bp_before_completion",
    "sedation",
    "dissociation",
    "respiratory_depression",
    "monitoring_provider",
    "discharged_by",
    "form_reference",
    "form_submitted_at",
    "form_due_by",
)

Row = tuple[object, ...]


def rems_form_row(
    *,
    session: SessionHistory,
    patient: PatientHistory | None,
    profile: Profile,
    as_of: datetime,
    zone: ZoneInfo,
) -> Row | None:
    """The session's form as cells in ``REMS_COLUMNS`` order; None unless it is a SPRAVATO
    session (booked as ``spravato-rems``, or given esketamine, which only the REMS allows)."""
    current = session.as_of(as_of)
    # Most sessions are not SPRAVATO: say so before the costlier corrected view is built.
    if current.protocol is not Protocol.SPRAVATO_REMS and not any(
        isinstance(r.event, DoseAdministered)
        and r.event.payload.medication is Medication.ESKETAMINE
        for r in current.events
    ):
        return None
    patient_events = patient.as_of(as_of).events if patient is not None else ()
    own, theirs = (
        tuple(item.recorded for item in stream)
        for stream in amend_streams(current.events, patient_events)
    )
    facts = SessionFacts.gather(
        session_id=session.session_id,
        clinic_id=session.clinic_id,
        patient_id=session.patient_id,
        profile=profile,
        as_of=as_of,
        session_events=own,
        patient_events=theirs,
        follow_ups=(),
    )
    esketamine = [d for d in facts.doses if d.payload.medication is Medication.ESKETAMINE]
    if current.protocol is not Protocol.SPRAVATO_REMS and not esketamine:
        return None
    doses = esketamine or list(facts.doses)
    first = doses[0] if doses else None
    discharge = facts.discharge
    pressures = facts.blood_pressures()
    before = _last(p for p in pressures if first and p.occurred_at <= first.occurred_at)
    at_40 = _first_in_window(pressures, first=first, profile=profile)
    completion = _last(
        p
        for p in pressures
        if first
        and first.occurred_at < p.occurred_at
        and (discharge is None or p.occurred_at <= discharge.occurred_at)
    )
    after_dose = [c for c in facts.checks if first and c.occurred_at >= first.occurred_at]
    monitored = [
        c for c in after_dose if discharge is None or c.occurred_at <= discharge.occurred_at
    ]
    categories = {event.payload.category for event in facts.adverse_events}
    bookings = [r.event for r in own if isinstance(r.event, SessionScheduled)]
    enrolment = facts.enrolments[-1] if facts.enrolments else None
    form = facts.monitoring_forms[0] if facts.monitoring_forms else None
    total_mg = sum(d.payload.dose_mg for d in doses)
    return (
        session.session_id,
        session.patient_id,
        enrolment.payload.enrollment_id if enrolment else None,
        bookings[-1].payload.setting_id if bookings else None,
        first.occurred_at.astimezone(zone).date().isoformat() if first else None,
        first.occurred_at.astimezone(zone) if first else None,
        total_mg if doses else None,
        _dose_category(total_mg) if doses else None,
        ";".join(dict.fromkeys(d.payload.lot_number for d in doses)),
        ";".join(dict.fromkeys(d.payload.ndc for d in doses if d.payload.ndc)),
        NOT_RECORDED,
        NOT_RECORDED,
        NOT_RECORDED,
        NOT_RECORDED,
        _minutes(first, monitored[-1].occurred_at if monitored else None),
        _minutes(
            first,
            discharge.occurred_at if discharge and discharge.payload.clinically_stable else None,
        ),
        _yes_no(_within_limits(before, profile) if before else None),
        _yes_no(discharge.payload.clinically_stable if discharge else None),
        _bp(before),
        _bp(at_40),
        _bp(completion),
        _yes_no(
            (
                any(c.payload.sedation not in (None, Sedation.NONE) for c in after_dose)
                or AdverseEventCategory.SEDATION in categories
            )
            if after_dose or categories
            else None
        ),
        _yes_no(
            (
                any(c.payload.dissociation for c in after_dose)
                or AdverseEventCategory.DISSOCIATION in categories
            )
            if after_dose or categories
            else None
        ),
        _yes_no(
            AdverseEventCategory.RESPIRATORY_DEPRESSION in categories
            if after_dose or categories
            else None
        ),
        "; ".join(dict.fromkeys(c.actor.id for c in monitored)),
        discharge.actor.id if discharge else None,
        form.payload.form_reference if form else None,
        form.occurred_at.astimezone(zone) if form else None,
        _due_by(facts, profile=profile, zone=zone),
    )


def rems_forms_csv(rows: list[Row]) -> str:
    """The forms by first administration, then session id."""
    ordered: list[Row] = sorted(rows, key=_form_order)
    return csv_table(REMS_COLUMNS, ordered)


def rems_form_order(row: Sequence[object]) -> tuple[bool, datetime, str]:
    """By first administration, then session id."""
    return _form_order(tuple(row))


def _form_order(row: Row) -> tuple[bool, datetime, str]:
    first = row[5]
    return first is None, first if isinstance(first, datetime) else datetime.max, str(row[0])


def _last(readings: Iterable[VitalsRecorded]) -> VitalsRecorded | None:
    found = None
    for reading in readings:
        found = reading
    return found


def _first_in_window(
    pressures: tuple[VitalsRecorded, ...], *, first: DoseAdministered | None, profile: Profile
) -> VitalsRecorded | None:
    if first is None:
        return None
    opens = first.occurred_at + timedelta(minutes=profile.post_dose_bp_from_minutes)
    closes = first.occurred_at + timedelta(minutes=profile.post_dose_bp_until_minutes)
    return next((p for p in pressures if opens <= p.occurred_at <= closes), None)


def _within_limits(reading: VitalsRecorded, profile: Profile) -> bool:
    return (reading.payload.systolic_mmhg or 0) <= profile.baseline_max_systolic_mmhg and (
        reading.payload.diastolic_mmhg or 0
    ) <= profile.baseline_max_diastolic_mmhg


def _bp(reading: VitalsRecorded | None) -> str | None:
    if reading is None:
        return None
    return f"{reading.payload.systolic_mmhg}/{reading.payload.diastolic_mmhg}"


def _yes_no(value: bool | None) -> str:
    if value is None:
        return NOT_RECORDED
    return "yes" if value else "no"


def _minutes(first: DoseAdministered | None, until: datetime | None) -> int | None:
    if first is None or until is None:
        return None
    return round((until - first.occurred_at) / timedelta(minutes=1))


def _dose_category(total_mg: float) -> str:
    # The form offers 56 mg and 84 mg (two or three 28 mg devices), else "other".
    if total_mg in (56, 84):
        return f"{total_mg:g} mg"
    return "other"


def _due_by(facts: SessionFacts, *, profile: Profile, zone: ZoneInfo) -> datetime | None:
    # As the rems.monitoring_form_within_7_days rule counts: from the session's end, or from
    # the first dose while the session is still open.
    since = facts.ended or facts.first_dose
    if since is None:
        return None
    return (since.occurred_at + timedelta(days=profile.rems_form_window_days)).astimezone(zone)
