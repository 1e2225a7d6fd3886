"""Closed vocabularies used by the event contract."""

from enum import StrEnum

__all__ = [
    "ActorRole",
    "AdverseEventCategory",
    "Medication",
    "Protocol",
    "RemsProgram",
    "Route",
    "Sedation",
    "Severity",
]


class ActorRole(StrEnum):
    """The role in which a person or system acted."""

    PRESCRIBER = "prescriber"
    PHYSICIAN = "physician"
    NURSE = "nurse"
    THERAPIST = "therapist"
    MONITOR = "monitor"
    PHARMACIST = "pharmacist"
    SYSTEM = "system"


class Protocol(StrEnum):
    """The treatment protocol a session follows; it selects the compliance rules."""

    SPRAVATO_REMS = "spravato-rems"
    IV_KETAMINE = "iv-ketamine"
    IM_KETAMINE = "im-ketamine"
    SUBLINGUAL_KETAMINE = "sublingual-ketamine"


class RemsProgram(StrEnum):
    """A Risk Evaluation and Mitigation Strategy programme a patient can be enrolled in."""

    SPRAVATO_REMS = "spravato-rems"


class Medication(StrEnum):
    """The controlled substance given or wasted."""

    KETAMINE = "ketamine"
    ESKETAMINE = "esketamine"


class Route(StrEnum):
    """The route of administration."""

    IV = "iv"
    IM = "im"
    INTRANASAL = "intranasal"
    SUBLINGUAL = "sublingual"
    ORAL = "oral"


class Sedation(StrEnum):
    """The observed depth of sedation."""

    NONE = "none"
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Severity(StrEnum):
    """The severity of an adverse event."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
    LIFE_THREATENING = "life_threatening"


class AdverseEventCategory(StrEnum):
    """What kind of adverse event occurred."""

    HYPERTENSION = "hypertension"
    SEDATION = "sedation"
    DISSOCIATION = "dissociation"
    RESPIRATORY_DEPRESSION = "respiratory_depression"
    NAUSEA = "nausea"
    OTHER = "other"
