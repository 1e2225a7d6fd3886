"""The compliance rule engine: judges a KAP session against its protocol's profile.

``evaluate`` restricts a session's (and patient's) history to what was recorded by an
instant, applies amendments, and runs each rule the profile enables. Profiles ship as
commented TOML files (``profiles/<protocol>.toml``) and are loaded with ``load_profile``.
"""

from projections.compliance.catalogue import RULE_DESCRIPTIONS, RULE_PROTOCOLS, RULE_TITLES
from projections.compliance.engine import evaluate, session_status
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import (
    Outcome,
    RuleResult,
    SessionStatus,
    SessionVerdict,
    VerdictSummary,
)
from projections.compliance.profile import Profile, load_profile
from projections.compliance.rules import RULES, RuleCheck

__all__ = [
    "RULES",
    "RULE_DESCRIPTIONS",
    "RULE_PROTOCOLS",
    "RULE_TITLES",
    "Outcome",
    "Profile",
    "RuleCheck",
    "RuleResult",
    "SessionFacts",
    "SessionStatus",
    "SessionVerdict",
    "VerdictSummary",
    "evaluate",
    "load_profile",
    "session_status",
]
