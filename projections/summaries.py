"""One line per event, in the words a compliance officer uses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from events import (
    AdverseEventReported,
    ConsentGiven,
    ConsentWithdrawn,
    DoseAdministered,
    DoseWasted,
    IntegrationNoteRecorded,
    PatientDischarged,
    RecordAmended,
    RemsMonitoringFormSubmitted,
    RemsPatientEnrolled,
    SessionEvent,
    SessionScheduled,
    VitalsRecorded,
)

__all__ = ["clock_time", "summarize"]

_PROTOCOL_NAMES = {
    "spravato-rems": "SPRAVATO (REMS)",
    "iv-ketamine": "IV ketamine",
    "im-ketamine": "IM ketamine",
    "sublingual-ketamine": "sublingual ketamine",
}


def clock_time(instant: datetime) -> str:
    """HH:MM on the clock of the clinic that reported it."""
    return instant.strftime("%H:%M")


def _number(value: float) -> str:
    return f"{value:g}"


def _vitals(event: VitalsRecorded) -> str:
    p = event.payload
    parts: list[str] = []
    if p.systolic_mmhg is not None and p.diastolic_mmhg is not None:
        parts.append(f"BP {p.systolic_mmhg}/{p.diastolic_mmhg}")
    if p.heart_rate_bpm is not None:
        parts.append(f"HR {p.heart_rate_bpm}")
    if p.spo2_pct is not None:
        parts.append(f"SpO2 {_number(p.spo2_pct)}%")
    if p.respiratory_rate is not None:
        parts.append(f"RR {p.respiratory_rate}")
    if p.sedation is not None:
        parts.append(f"sedation {p.sedation.value}")
    if p.dissociation is not None:
        parts.append("dissociation" if p.dissociation else "no dissociation")
    return ", ".join(parts)


def _dose(event: DoseAdministered) -> str:
    p = event.payload
    text = f"{p.medication.value.capitalize()} {_number(p.dose_mg)} mg {p.route.value}"
    if p.infusion_minutes is not None:
        text += f" over {_number(p.infusion_minutes)} min"
    if p.patient_weight_kg is not None:
        per_kg = _number(round(p.dose_mg / p.patient_weight_kg, 2))
        text += f" ({per_kg} mg/kg at {_number(p.patient_weight_kg)} kg)"
    return f"{text}, lot {p.lot_number}"


def _waste(event: DoseWasted) -> str:
    p = event.payload
    return (
        f"Wasted {_number(p.amount_mg)} mg {p.medication.value}, lot {p.lot_number}, "
        f"witness {p.witness_id}"
    )


def _consent(event: ConsentGiven) -> str:
    p = event.payload
    facts = [
        "off-label use disclosed" if p.off_label_disclosed else "off-label use NOT disclosed",
        "risks discussed" if p.risks_discussed else "risks NOT discussed",
    ]
    if p.witness_id:
        facts.append(f"witness {p.witness_id}")
    return f"Consent given (form {p.form_id}, version {p.form_version}; {', '.join(facts)})"


def _withdrawn(event: ConsentWithdrawn) -> str:
    reason = event.payload.reason
    return f"Consent withdrawn: {reason}" if reason else "Consent withdrawn"


def _scheduled(event: SessionScheduled) -> str:
    p = event.payload
    return (
        f"Scheduled: {_PROTOCOL_NAMES.get(p.protocol.value, p.protocol.value)} "
        f"at {clock_time(p.scheduled_start)}, setting {p.setting_id}"
    )


def _adverse(event: AdverseEventReported) -> str:
    p = event.payload
    category = p.category.value.replace("_", " ")
    text = f"Adverse event: {category} ({p.severity.value.replace('_', '-')})"
    return f"{text}; action: {p.action_taken}" if p.action_taken else text


def _discharged(event: PatientDischarged) -> str:
    p = event.payload
    return "Discharged: " + ", ".join(
        [
            "clinically stable" if p.clinically_stable else "NOT clinically stable",
            "escort present" if p.escort_present else "no escort",
            "driving advice given" if p.driving_advice_given else "no driving advice",
        ]
    )


def _note(event: IntegrationNoteRecorded) -> str:
    p = event.payload
    modality = f" ({p.modality})" if p.modality else ""
    return f"Integration note recorded{modality}, sha256 {p.note_sha256[:12]}…"


def _amended(event: RecordAmended) -> str:
    p = event.payload
    changes = ", ".join(f"{field} → {value}" for field, value in sorted(p.corrected.items()))
    return f"Amends {p.amends_event_id}: {changes}; reason: {p.reason}"


_SUMMARIES: dict[type[Any], Callable[[Any], str]] = {
    VitalsRecorded: _vitals,
    DoseAdministered: _dose,
    DoseWasted: _waste,
    ConsentGiven: _consent,
    ConsentWithdrawn: _withdrawn,
    SessionScheduled: _scheduled,
    AdverseEventReported: _adverse,
    PatientDischarged: _discharged,
    IntegrationNoteRecorded: _note,
    RecordAmended: _amended,
    RemsPatientEnrolled: lambda e: (
        f"Enrolled in SPRAVATO REMS (enrollment {e.payload.enrollment_id})"
    ),
    RemsMonitoringFormSubmitted: lambda e: (
        f"REMS patient monitoring form submitted ({e.payload.form_reference})"
    ),
}

_FIXED = {"session.started": "Session started", "session.ended": "Session ended"}


def summarize(event: SessionEvent) -> str:
    """A one-line human summary, e.g. ``BP 152/95, HR 88, SpO2 97%``."""
    describe = _SUMMARIES.get(type(event))
    if describe is not None:
        return describe(event)
    return _FIXED.get(event.event_type, event.event_type)
