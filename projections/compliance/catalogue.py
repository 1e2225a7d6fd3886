"""The rules kapaudit knows: what each checks and which protocols it applies to.

Plain data, apart from the functions that check them (``rules``), so that a profile can be
validated against the known rule ids without importing the rule code.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

from events import Protocol

__all__ = ["RULE_CATALOGUE", "RULE_DESCRIPTIONS", "RULE_PROTOCOLS", "RULE_TITLES", "RuleInfo"]

_EVERY: Final = frozenset(Protocol)
_REMS: Final = frozenset({Protocol.SPRAVATO_REMS})
# Off-label ketamine protocols share the clinic-protocol shape (periodic vitals to discharge).
_KETAMINE: Final = frozenset(
    {Protocol.IV_KETAMINE, Protocol.IM_KETAMINE, Protocol.SUBLINGUAL_KETAMINE}
)


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleInfo:
    title: str
    """A few words naming the rule for people, shown next to its id."""
    description: str
    protocols: frozenset[Protocol]


RULE_CATALOGUE: Final[Mapping[str, RuleInfo]] = MappingProxyType(
    {
        "consent.before_first_dose": RuleInfo(
            title="Consent before dosing",
            description="Informed consent was in force (given, not withdrawn) at every dose.",
            protocols=_EVERY,
        ),
        "rems.enrolled_before_dose": RuleInfo(
            title="REMS enrolment before dosing",
            description="The patient was enrolled in the SPRAVATO REMS before the first dose.",
            protocols=_REMS,
        ),
        "vitals.baseline_before_dose": RuleInfo(
            title="Baseline vitals before dosing",
            description="Baseline blood pressure (and SpO2 where required) was taken shortly "
            "before the first dose.",
            protocols=_EVERY,
        ),
        "vitals.baseline_bp_in_range": RuleInfo(
            title="Pre-dose blood pressure within limit",
            description="The last blood pressure before each dose was within the limit.",
            protocols=_EVERY,
        ),
        "vitals.bp_at_40_min": RuleInfo(
            title="Blood pressure at 40 minutes",
            description="Blood pressure was taken about 40 minutes after the first dose.",
            protocols=_REMS,
        ),
        "vitals.monitoring_interval": RuleInfo(
            title="Monitoring checks close enough together",
            description="Monitoring checks were never further apart than the limit, from the "
            "first dose to discharge.",
            protocols=_KETAMINE,
        ),
        "observation.minimum_duration": RuleInfo(
            title="Minimum observation before discharge",
            description="The patient was observed for the minimum time after the last dose "
            "before discharge.",
            protocols=_EVERY,
        ),
        "discharge.stable_with_vitals": RuleInfo(
            title="Stable discharge with recent vitals",
            description="The patient was discharged clinically stable, with a recent blood "
            "pressure.",
            protocols=_EVERY,
        ),
        "discharge.escort_or_no_driving": RuleInfo(
            title="Escort or no-driving advice at discharge",
            description="The patient left with an escort and/or was told not to drive, as the "
            "protocol requires.",
            protocols=_EVERY,
        ),
        "controlled_substance.waste_witnessed": RuleInfo(
            title="Witnessed controlled-substance waste",
            description="Every waste of controlled substance was witnessed by a second person.",
            protocols=_EVERY,
        ),
        "adverse_event.followed_by_check": RuleInfo(
            title="Check after an adverse event",
            description="Every adverse event of moderate severity or worse was followed "
            "promptly by a monitoring check.",
            protocols=_EVERY,
        ),
        "integration.note_within_window": RuleInfo(
            title="Integration note on time",
            description="An integration note followed the session within the window.",
            protocols=_EVERY,
        ),
        "rems.monitoring_form_within_7_days": RuleInfo(
            title="REMS monitoring form on time",
            description="The SPRAVATO Patient Monitoring Form was submitted within the window "
            "after the session.",
            protocols=_REMS,
        ),
        "documentation.contemporaneous": RuleInfo(
            title="Contemporaneous records",
            description="Every event was recorded soon after it happened.",
            protocols=_EVERY,
        ),
    }
)
"""Rule id -> what it checks and where it applies, in evaluation order."""

RULE_DESCRIPTIONS: Final[Mapping[str, str]] = MappingProxyType(
    {rule_id: info.description for rule_id, info in RULE_CATALOGUE.items()}
)
"""Rule id -> one-line description."""

RULE_TITLES: Final[Mapping[str, str]] = MappingProxyType(
    {rule_id: info.title for rule_id, info in RULE_CATALOGUE.items()}
)
"""Rule id -> its human title."""

RULE_PROTOCOLS: Final[Mapping[str, frozenset[Protocol]]] = MappingProxyType(
    {rule_id: info.protocols for rule_id, info in RULE_CATALOGUE.items()}
)
"""Rule id -> the protocols it applies to; elsewhere it is ``not_applicable``."""
