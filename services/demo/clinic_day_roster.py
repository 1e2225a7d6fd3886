"""The demo clinic and its day's roster: rooms, staff, stock, and the 24 sessions planned.

The demo clinic runs six rooms in America/Denver: two SPRAVATO suites, two infusion rooms,
an IM room and a sublingual room. Its day holds 24 sessions (8 SPRAVATO, 7 IV, 5 IM and
4 sublingual), one patient each, every one documented the way the compliance rules expect,
except for the lapses planted on purpose, one per session, so that a demo can show each
rule catching exactly one session (`PLANTED_LAPSES`).

This module is the data only, apart from the generator that turns it into events
(`services.demo.clinic_day`): a session added, a dose changed or a lapse moved is an edit
here, without reading how events are drafted. `SessionPlan` checks
each plan against the stock (IV at 0.5 mg/kg, SPRAVATO kits of 56 or 84 mg) as it is built.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import time
from enum import StrEnum
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from events.enums import ActorRole, Protocol

__all__ = [
    "CLINIC_ZONE",
    "EHR",
    "ESKETAMINE_LOT",
    "IV_MG_PER_KG",
    "KETAMINE_LOT",
    "PHARMACIST",
    "PLANS",
    "PLANTED_LAPSES",
    "SCHEDULER",
    "SPRAVATO_NDC",
    "SUBLINGUAL_LOT",
    "THERAPY_NOTES",
    "Lapse",
    "Room",
    "SessionPlan",
    "Twist",
]

CLINIC_ZONE: Final = ZoneInfo("America/Denver")
"""The demo clinic's time zone; timestamps carry its offset (-07:00 in winter)."""

# The clinic's systems (each event's `source`) and the staff outside any one room.
EHR: Final = "ehr-demo/2.3.1"
THERAPY_NOTES: Final = "therapy-notes-demo/1.4.0"
SCHEDULER: Final = ("scheduler", ActorRole.SYSTEM)
PHARMACIST: Final = "pharm-reyes"

# How IV ketamine is dosed, and the stock the day's doses come from: `SessionPlan` checks
# each plan against both.
IV_MG_PER_KG: Final = 0.5
KETAMINE_LOT: Final = "KT26K045"
ESKETAMINE_LOT: Final = "ESK26H217"
SUBLINGUAL_LOT: Final = "SLK-2610-088"
# SPRAVATO dose kits: 56 mg (two 28 mg devices) and 84 mg (three devices).
SPRAVATO_NDC: Final[Mapping[float, str]] = MappingProxyType(
    {56: "50458-028-02", 84: "50458-028-03"}
)


class Lapse(StrEnum):
    """A documentation lapse planted in one session; its value is the rule that catches it."""

    DOSE_BEFORE_CONSENT = "consent.before_first_dose"
    NO_BP_AT_40_MIN = "vitals.bp_at_40_min"
    EARLY_DISCHARGE = "observation.minimum_duration"
    UNWITNESSED_WASTE = "controlled_substance.waste_witnessed"
    ELEVATED_BASELINE_BP = "vitals.baseline_bp_in_range"
    MISSED_CHECK = "vitals.monitoring_interval"
    LATE_REMS_FORM = "rems.monitoring_form_within_7_days"
    LATE_RECORD = "documentation.contemporaneous"
    """Documented at the time but entered into the system days later (the month's replay
    records it late; the documents themselves are as in a compliant session)."""


class Twist(StrEnum):
    """Something out of the ordinary that is still documented compliantly."""

    NAUSEA = "nausea"
    """A mild adverse event, followed by an extra check."""
    HEART_RATE_TYPO = "heart-rate-typo"
    """A check keyed with transposed digits, corrected by `record.amended`."""
    BOOSTER = "booster"
    """A second, smaller sublingual dose 25 minutes after the first."""


@dataclass(frozen=True, kw_only=True)
class Room:
    """A treatment room and the team working in it today."""

    setting_id: str
    device: str
    """Suffix of the room's device sources, e.g. `vitals-monitor-ir1`."""
    nurse: str
    prescriber: str
    therapist: str
    observer: tuple[str, ActorRole]
    """Who takes the vital signs: a monitor in the SPRAVATO suites, else the nurse."""


@dataclass(frozen=True, kw_only=True)
class SessionPlan:
    """One dosing session of the demo day: who, what, when, and what goes wrong."""

    session_id: str
    patient_id: str
    protocol: Protocol
    room: Room
    start: time
    """Scheduled start on the clinic's wall clock."""
    dose_mg: float
    resting_bp: tuple[int, int]
    resting_hr: int
    weight_kg: float | None = None
    """Required for IV ketamine, which is dosed at 0.5 mg/kg."""
    consent_days_before: int = 14
    """When the patient consented (and enrolled in the REMS), in days before the session."""
    escort: bool = True
    follow_up_days: int = 2
    """Days until the integration note and, unless `rems_form_same_day`, the REMS form."""
    rems_form_same_day: bool = False
    lapse: Lapse | None = None
    twist: Twist | None = None

    def __post_init__(self) -> None:
        if (self.protocol is Protocol.IV_KETAMINE) != (self.weight_kg is not None):
            raise ValueError(f"{self.session_id}: weight_kg is given for IV sessions only")
        if self.weight_kg is not None and self.dose_mg != IV_MG_PER_KG * self.weight_kg:
            raise ValueError(f"{self.session_id}: an IV dose is 0.5 mg/kg")
        if self.protocol is Protocol.SPRAVATO_REMS and self.dose_mg not in SPRAVATO_NDC:
            raise ValueError(f"{self.session_id}: SPRAVATO is dosed at 56 or 84 mg")


_SPRAVATO_1 = Room(
    setting_id="spravato-suite-1",
    device="sp1",
    nurse="rn-tsosie",
    prescriber="np-whitfield",
    therapist="th-nakamura",
    observer=("mon-harjo", ActorRole.MONITOR),
)
_SPRAVATO_2 = Room(
    setting_id="spravato-suite-2",
    device="sp2",
    nurse="rn-tsosie",
    prescriber="np-whitfield",
    therapist="th-nakamura",
    observer=("mon-delacroix", ActorRole.MONITOR),
)
_INFUSION_1 = Room(
    setting_id="infusion-room-1",
    device="ir1",
    nurse="rn-okafor",
    prescriber="dr-castellano",
    therapist="th-moreau",
    observer=("rn-okafor", ActorRole.NURSE),
)
_INFUSION_2 = Room(
    setting_id="infusion-room-2",
    device="ir2",
    nurse="rn-lindqvist",
    prescriber="dr-castellano",
    therapist="th-moreau",
    observer=("rn-lindqvist", ActorRole.NURSE),
)
_IM_ROOM = Room(
    setting_id="treatment-room-3",
    device="tr3",
    nurse="rn-abernathy",
    prescriber="dr-castellano",
    therapist="th-begay",
    observer=("rn-abernathy", ActorRole.NURSE),
)
_SUBLINGUAL_ROOM = Room(
    setting_id="treatment-room-4",
    device="tr4",
    nurse="rn-marsh",
    prescriber="np-whitfield",
    therapist="th-alvarado",
    observer=("rn-marsh", ActorRole.NURSE),
)

_SPRAVATO = Protocol.SPRAVATO_REMS
_IV = Protocol.IV_KETAMINE
_IM = Protocol.IM_KETAMINE
_SUBLINGUAL = Protocol.SUBLINGUAL_KETAMINE

# The day, in order of scheduled start. Rooms never double-book: a SPRAVATO session takes
# about 2 h 25 min, IV 2 h, IM 1 h 40 min, sublingual 2 h.
PLANS: Final[tuple[SessionPlan, ...]] = (
    SessionPlan(session_id="sess-demo-01", patient_id="pt-7f3a21", protocol=_SPRAVATO,
                room=_SPRAVATO_1, start=time(7, 30), dose_mg=84, resting_bp=(124, 80),
                resting_hr=72, consent_days_before=41, escort=False, rems_form_same_day=True),
    SessionPlan(session_id="sess-demo-02", patient_id="pt-2b9e04", protocol=_IV,
                room=_INFUSION_1, start=time(7, 30), dose_mg=39, weight_kg=78,
                resting_bp=(122, 78), resting_hr=68, consent_days_before=20, follow_up_days=1),
    SessionPlan(session_id="sess-demo-03", patient_id="pt-c41d77", protocol=_IM,
                room=_IM_ROOM, start=time(7, 45), dose_mg=60, resting_bp=(126, 82),
                resting_hr=75, consent_days_before=33, follow_up_days=3, twist=Twist.NAUSEA),
    SessionPlan(session_id="sess-demo-04", patient_id="pt-93ae5f", protocol=_SUBLINGUAL,
                room=_SUBLINGUAL_ROOM, start=time(8, 0), dose_mg=200, resting_bp=(118, 76),
                resting_hr=70, consent_days_before=12),
    SessionPlan(session_id="sess-demo-05", patient_id="pt-e8172b", protocol=_SPRAVATO,
                room=_SPRAVATO_2, start=time(8, 0), dose_mg=56, resting_bp=(132, 84),
                resting_hr=78, consent_days_before=27, follow_up_days=4,
                lapse=Lapse.NO_BP_AT_40_MIN),
    SessionPlan(session_id="sess-demo-06", patient_id="pt-5d0c88", protocol=_IV,
                room=_INFUSION_2, start=time(8, 15), dose_mg=32, weight_kg=64,
                resting_bp=(130, 84), resting_hr=80, consent_days_before=9,
                lapse=Lapse.EARLY_DISCHARGE),
    SessionPlan(session_id="sess-demo-07", patient_id="pt-1a6f3c", protocol=_IV,
                room=_INFUSION_1, start=time(9, 45), dose_mg=45.5, weight_kg=91,
                resting_bp=(128, 80), resting_hr=74, consent_days_before=58, follow_up_days=1,
                twist=Twist.HEART_RATE_TYPO),
    SessionPlan(session_id="sess-demo-08", patient_id="pt-4c2d90", protocol=_IM,
                room=_IM_ROOM, start=time(9, 45), dose_mg=55, resting_bp=(120, 78),
                resting_hr=66, consent_days_before=16, follow_up_days=3,
                lapse=Lapse.UNWITNESSED_WASTE),
    SessionPlan(session_id="sess-demo-09", patient_id="pt-b7305e", protocol=_SPRAVATO,
                room=_SPRAVATO_1, start=time(10, 0), dose_mg=84, resting_bp=(126, 78),
                resting_hr=70, consent_days_before=64, rems_form_same_day=True),
    SessionPlan(session_id="sess-demo-10", patient_id="pt-0e94d2", protocol=_SPRAVATO,
                room=_SPRAVATO_2, start=time(10, 30), dose_mg=56, resting_bp=(116, 74),
                resting_hr=64, consent_days_before=23, escort=False, follow_up_days=5),
    SessionPlan(session_id="sess-demo-11", patient_id="pt-6a1fe7", protocol=_SUBLINGUAL,
                room=_SUBLINGUAL_ROOM, start=time(10, 30), dose_mg=200, resting_bp=(124, 82),
                resting_hr=76, follow_up_days=2, lapse=Lapse.DOSE_BEFORE_CONSENT),
    SessionPlan(session_id="sess-demo-12", patient_id="pt-8f27b1", protocol=_IV,
                room=_INFUSION_2, start=time(10, 45), dose_mg=29, weight_kg=58,
                resting_bp=(112, 72), resting_hr=62, consent_days_before=37),
    SessionPlan(session_id="sess-demo-13", patient_id="pt-d3b84a", protocol=_IM,
                room=_IM_ROOM, start=time(11, 45), dose_mg=70, resting_bp=(134, 86),
                resting_hr=79, consent_days_before=45, follow_up_days=4),
    SessionPlan(session_id="sess-demo-14", patient_id="pt-27c9e0", protocol=_IV,
                room=_INFUSION_1, start=time(12, 15), dose_mg=41.5, weight_kg=83,
                resting_bp=(152, 95), resting_hr=82, consent_days_before=19,
                lapse=Lapse.ELEVATED_BASELINE_BP),
    SessionPlan(session_id="sess-demo-15", patient_id="pt-5e6a13", protocol=_SPRAVATO,
                room=_SPRAVATO_1, start=time(12, 30), dose_mg=84, resting_bp=(128, 82),
                resting_hr=73, consent_days_before=88, rems_form_same_day=True,
                follow_up_days=3),
    SessionPlan(session_id="sess-demo-16", patient_id="pt-f01c6d", protocol=_SPRAVATO,
                room=_SPRAVATO_2, start=time(13, 0), dose_mg=56, resting_bp=(120, 76),
                resting_hr=69, consent_days_before=30, follow_up_days=1),
    SessionPlan(session_id="sess-demo-17", patient_id="pt-3b8d52", protocol=_SUBLINGUAL,
                room=_SUBLINGUAL_ROOM, start=time(13, 0), dose_mg=150, resting_bp=(116, 74),
                resting_hr=67, consent_days_before=25, follow_up_days=3, twist=Twist.BOOSTER),
    SessionPlan(session_id="sess-demo-18", patient_id="pt-9c4e71", protocol=_IV,
                room=_INFUSION_2, start=time(13, 30), dose_mg=35.2, weight_kg=70.4,
                resting_bp=(126, 80), resting_hr=71, consent_days_before=50, follow_up_days=2),
    SessionPlan(session_id="sess-demo-19", patient_id="pt-a5f209", protocol=_IM,
                room=_IM_ROOM, start=time(13, 45), dose_mg=45, resting_bp=(118, 74),
                resting_hr=65, consent_days_before=11, follow_up_days=5),
    SessionPlan(session_id="sess-demo-20", patient_id="pt-4e1b9d", protocol=_IV,
                room=_INFUSION_1, start=time(14, 45), dose_mg=48, weight_kg=96,
                resting_bp=(132, 86), resting_hr=77, consent_days_before=72, follow_up_days=3),
    SessionPlan(session_id="sess-demo-21", patient_id="pt-72d0a6", protocol=_SPRAVATO,
                room=_SPRAVATO_1, start=time(15, 0), dose_mg=84, resting_bp=(122, 80),
                resting_hr=75, consent_days_before=34, follow_up_days=2),
    SessionPlan(session_id="sess-demo-22", patient_id="pt-c9e35b", protocol=_SPRAVATO,
                room=_SPRAVATO_2, start=time(15, 30), dose_mg=56, resting_bp=(130, 84),
                resting_hr=80, consent_days_before=15, escort=False, rems_form_same_day=True),
    SessionPlan(session_id="sess-demo-23", patient_id="pt-0b7a44", protocol=_SUBLINGUAL,
                room=_SUBLINGUAL_ROOM, start=time(15, 30), dose_mg=300, resting_bp=(124, 78),
                resting_hr=72, consent_days_before=21, follow_up_days=4),
    SessionPlan(session_id="sess-demo-24", patient_id="pt-e26f18", protocol=_IM,
                room=_IM_ROOM, start=time(15, 45), dose_mg=65, resting_bp=(128, 84),
                resting_hr=74, consent_days_before=40, follow_up_days=1),
)  # fmt: skip

PLANTED_LAPSES: Final[Mapping[str, str]] = MappingProxyType(
    {plan.session_id: plan.lapse.value for plan in PLANS if plan.lapse is not None}
)
"""session_id -> the id of the one rule that its planted lapse violates."""
