"""One realistic, valid example document per event type, as a publisher would send it.

They follow one patient at the demo clinic: consent and REMS enrolment, an IV ketamine
session (sess-0042) with its monitoring, dose, waste, a corrected weight and discharge,
an integration session two days later, and a later SPRAVATO session's monitoring form.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

__all__ = ["EXAMPLES"]

_CLINIC: Final = "clinic-demo"
_PATIENT: Final = "pt-5c1e9a"
_SOURCE: Final = "ehr-demo/2.3.1"


def _event(
    *,
    event_id: str,
    event_type: str,
    occurred_at: str,
    actor: tuple[str, str],
    session_id: str | None,
    payload: dict[str, Any],
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": occurred_at,
        "clinic_id": _CLINIC,
        "patient_id": _PATIENT,
        "session_id": session_id,
        "actor": {"id": actor[0], "role": actor[1]},
        "source": _SOURCE,
        "payload": payload,
    }


_DOSE_EVENT_ID: Final = "6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0007"

EXAMPLES: Final[Mapping[str, dict[str, Any]]] = MappingProxyType(
    {
        "consent.given": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0001",
            event_type="consent.given",
            occurred_at="2025-02-20T14:30:00-05:00",
            actor=("dr-okafor", "prescriber"),
            session_id=None,
            payload={
                "form_id": "consent-2025-0193",
                "form_version": "kap-consent-v4",
                "off_label_disclosed": True,
                "risks_discussed": True,
                "witness_id": "rn-lindqvist",
            },
        ),
        "consent.withdrawn": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0002",
            event_type="consent.withdrawn",
            occurred_at="2025-06-02T10:15:00-04:00",
            actor=("dr-okafor", "prescriber"),
            session_id=None,
            payload={"reason": "Patient wishes to pause treatment after relocating."},
        ),
        "rems.patient_enrolled": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0003",
            event_type="rems.patient_enrolled",
            occurred_at="2025-02-20T15:05:00-05:00",
            actor=("dr-okafor", "prescriber"),
            session_id=None,
            payload={"program": "spravato-rems", "enrollment_id": "REMS-PT-88213407"},
        ),
        "session.scheduled": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0004",
            event_type="session.scheduled",
            occurred_at="2025-02-24T11:00:00-05:00",
            actor=("scheduler", "system"),
            session_id="sess-0042",
            payload={
                "protocol": "iv-ketamine",
                "scheduled_start": "2025-03-04T09:00:00-05:00",
                "setting_id": "infusion-room-2",
            },
        ),
        "session.started": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0005",
            event_type="session.started",
            occurred_at="2025-03-04T09:02:00-05:00",
            actor=("rn-lindqvist", "nurse"),
            session_id="sess-0042",
            payload={},
        ),
        "vitals.recorded": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0006",
            event_type="vitals.recorded",
            occurred_at="2025-03-04T09:05:00-05:00",
            actor=("rn-lindqvist", "nurse"),
            session_id="sess-0042",
            payload={
                "systolic_mmhg": 128,
                "diastolic_mmhg": 82,
                "heart_rate_bpm": 74,
                "spo2_pct": 98,
                "respiratory_rate": 14,
                "sedation": "none",
                "dissociation": False,
            },
        ),
        "dose.administered": _event(
            event_id=_DOSE_EVENT_ID,
            event_type="dose.administered",
            occurred_at="2025-03-04T09:10:00-05:00",
            actor=("rn-lindqvist", "nurse"),
            session_id="sess-0042",
            payload={
                "medication": "ketamine",
                "route": "iv",
                "dose_mg": 35,
                "lot_number": "KT24B117",
                "infusion_minutes": 40,
                "patient_weight_kg": 70,
                "container_id": "vial-KT24B117-07",
            },
        ),
        "dose.wasted": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0008",
            event_type="dose.wasted",
            occurred_at="2025-03-04T09:52:00-05:00",
            actor=("rn-lindqvist", "nurse"),
            session_id="sess-0042",
            payload={
                "medication": "ketamine",
                "amount_mg": 15,
                "lot_number": "KT24B117",
                "container_id": "vial-KT24B117-07",
                "witness_id": "pharm-reyes",
            },
        ),
        "adverse_event.reported": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0009",
            event_type="adverse_event.reported",
            occurred_at="2025-03-04T09:30:00-05:00",
            actor=("dr-okafor", "physician"),
            session_id="sess-0042",
            payload={
                "severity": "mild",
                "category": "hypertension",
                "action_taken": "Infusion paused for 5 minutes; BP rechecked and resumed.",
            },
        ),
        "patient.discharged": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0010",
            event_type="patient.discharged",
            occurred_at="2025-03-04T11:20:00-05:00",
            actor=("dr-okafor", "physician"),
            session_id="sess-0042",
            payload={
                "clinically_stable": True,
                "escort_present": True,
                "driving_advice_given": True,
            },
        ),
        "session.ended": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0011",
            event_type="session.ended",
            occurred_at="2025-03-04T11:25:00-05:00",
            actor=("rn-lindqvist", "nurse"),
            session_id="sess-0042",
            payload={},
        ),
        "integration_note.recorded": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0012",
            event_type="integration_note.recorded",
            occurred_at="2025-03-06T16:00:00-05:00",
            actor=("th-moreau", "therapist"),
            session_id="sess-0043",
            payload={
                "integrates_session_id": "sess-0042",
                "note_sha256": "e2be536b9c9c42fb77b2c326f1bca7ff24bcedfe2908fff626a5498de0dce74c",
                "modality": "individual psychotherapy",
            },
        ),
        "rems.monitoring_form_submitted": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0013",
            event_type="rems.monitoring_form_submitted",
            occurred_at="2025-04-10T17:45:00-04:00",
            actor=("dr-okafor", "prescriber"),
            session_id="sess-0051",
            payload={"form_reference": "PMF-2025-0410-3317"},
        ),
        "record.amended": _event(
            event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0014",
            event_type="record.amended",
            occurred_at="2025-03-04T12:05:00-05:00",
            actor=("rn-lindqvist", "nurse"),
            session_id="sess-0042",
            payload={
                "amends_event_id": _DOSE_EVENT_ID,
                "reason": "Weight was copied from the intake form; re-weighed before dosing.",
                "corrected": {"patient_weight_kg": 72},
            },
        ),
        "access.recorded": {
            **_event(
                event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0015",
                event_type="access.recorded",
                occurred_at="2025-03-04T16:12:09Z",
                actor=("kapaudit-api", "system"),
                session_id="sess-0042",
                payload={
                    "token_name": "compliance-anna",
                    "role": "compliance_officer",
                    "channel": "dashboard",
                    "resource": "GET /sessions/sess-0042",
                    "query": {},
                    "outcome": "allowed",
                },
            ),
            "source": "kapaudit/0.1.0",
            "schema_version": 3,
        },
        "profile.changed": {
            **_event(
                event_id="6f0b3c1e-2a47-4d8e-9b1f-0a7c5e3d0016",
                event_type="profile.changed",
                occurred_at="2025-03-01T08:00:00-05:00",
                actor=("dr-okafor", "physician"),
                session_id=None,
                payload={
                    "protocol": "iv-ketamine",
                    "settings": {"monitoring_max_gap_minutes": 10},
                    "author": "dr-okafor",
                    "reason": "Medical director: vitals every 10 min during infusions from March.",
                },
            ),
            "patient_id": "-",
            "source": "kapaudit/0.1.0",
        },
    }
)
"""event_type -> a valid example document, in catalogue order."""
