"""The rule functions, one module per topic, in the catalogue's order.

Each rule takes the session's facts (``facts=``) and returns its ``RuleResult``; which
rules run, and for which protocol, is the engine's and the profile's business.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from projections.compliance.catalogue import RULE_CATALOGUE
from projections.compliance.rules import (
    discharge,
    documentation,
    eligibility,
    monitoring,
    substances,
    vitals,
)
from projections.compliance.rules.support import RuleCheck

__all__ = ["RULES", "RuleCheck"]

RULES: Final[Mapping[str, RuleCheck]] = MappingProxyType(
    {
        "consent.before_first_dose": eligibility.consent_before_first_dose,
        "rems.enrolled_before_dose": eligibility.rems_enrolled_before_dose,
        "vitals.baseline_before_dose": vitals.baseline_before_dose,
        "vitals.baseline_bp_in_range": vitals.baseline_bp_in_range,
        "vitals.bp_at_40_min": vitals.bp_at_40_min,
        "vitals.monitoring_interval": monitoring.monitoring_interval,
        "observation.minimum_duration": discharge.minimum_observation,
        "discharge.stable_with_vitals": discharge.stable_with_vitals,
        "discharge.escort_or_no_driving": discharge.escort_or_no_driving,
        "controlled_substance.waste_witnessed": substances.waste_witnessed,
        "adverse_event.followed_by_check": monitoring.adverse_event_followed_by_check,
        "integration.note_within_window": documentation.integration_note_within_window,
        "rems.monitoring_form_within_7_days": documentation.rems_form_within_window,
        "documentation.contemporaneous": documentation.contemporaneous,
    }
)
"""Rule id -> rule function, in the catalogue's order."""

# A rule in the catalogue without a function (or the reverse) would be silently skipped
# or never documented; fail at import instead.
if tuple(RULES) != tuple(RULE_CATALOGUE):
    raise RuntimeError("RULES and RULE_CATALOGUE list different rules or orders")
