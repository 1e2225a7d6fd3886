"""Controlled-substance records: a dose given, and drug left over and wasted."""

from typing import Final, Literal, Self

from pydantic import ConfigDict, Field, model_validator

from events.cross_field import required_when
from events.enums import Medication, Route
from events.envelope import SessionLevelEvent
from events.primitives import ContractModel, Identifier
from events.rules import rule_violation

__all__ = [
    "MAX_DOSE_MG",
    "MAX_INFUSION_MINUTES",
    "MAX_WASTE_MG",
    "DoseAdministered",
    "DoseAdministeredPayload",
    "DoseWasted",
    "DoseWastedPayload",
]

# Plausible ranges, so that no valid number is absurd and no sum of valid numbers
# overflows a report. The brief's doses: IV 0.5 mg/kg over 40 min (at most 400 kg), IM and
# sublingual ketamine in the low hundreds of mg, SPRAVATO 56 or 84 mg.
MAX_DOSE_MG: Final = 1000
"""The largest single administration accepted, in mg (above any KAP dose in the brief)."""
MAX_INFUSION_MINUTES: Final = 480
"""The longest infusion accepted, in minutes (eight hours; KAP infusions run about 40)."""
MAX_WASTE_MG: Final = 5000
"""The largest waste accepted, in mg: the contents of a large multi-dose vial."""


class DoseAdministeredPayload(ContractModel):
    """Drug, amount, route and lot of one administration (21 CFR 1304.22(c)); an IV dose also
    needs infusion_minutes and patient_weight_kg."""

    model_config = ConfigDict(
        json_schema_extra=required_when(
            "route", Route.IV.value, ("infusion_minutes", "patient_weight_kg")
        )
    )

    medication: Medication = Field(description="The drug given.")
    """The drug given."""
    route: Route = Field(description="Route of administration.")
    """Route of administration."""
    dose_mg: float = Field(
        gt=0,
        le=MAX_DOSE_MG,
        allow_inf_nan=False,
        description="Amount given in mg (> 0, at most 1000).",
    )
    """Amount given in mg (> 0, at most 1000)."""
    lot_number: Identifier = Field(description="Manufacturer's lot number of the drug.")
    """Manufacturer's lot number of the drug."""
    ndc: Identifier | None = Field(default=None, description="National Drug Code, if recorded.")
    """National Drug Code, if recorded."""
    infusion_minutes: float | None = Field(
        default=None,
        gt=0,
        le=MAX_INFUSION_MINUTES,
        allow_inf_nan=False,
        description="Infusion duration in minutes (> 0, at most 480); required when route is `iv`.",
    )
    """Infusion duration in minutes (> 0, at most 480); required when route is `iv`."""
    patient_weight_kg: float | None = Field(
        default=None,
        ge=20,
        le=400,
        allow_inf_nan=False,
        description="Patient weight in kg (20-400); required when route is `iv`.",
    )
    """Patient weight in kg (20-400); required when route is `iv`."""
    container_id: Identifier | None = Field(
        default=None, description="The vial, device or container the dose was drawn from."
    )
    """The vial, device or container the dose was drawn from."""

    @model_validator(mode="after")
    def _iv_dose_is_weight_based_and_timed(self) -> Self:
        # IV ketamine is dosed per kilogram over a set time (typically 0.5 mg/kg over 40 min);
        # without both the record cannot show the dose rate that was given.
        if self.route is Route.IV:
            missing = tuple(
                name
                for name in ("infusion_minutes", "patient_weight_kg")
                if getattr(self, name) is None
            )
            if missing:
                raise rule_violation(message="Field required when route is 'iv'", fields=missing)
        return self


class DoseAdministered(SessionLevelEvent):
    """A dose of ketamine or esketamine was given to the patient."""

    event_type: Literal["dose.administered"] = Field(description="Always `dose.administered`.")
    """Always `dose.administered`."""
    payload: DoseAdministeredPayload = Field(description="What was given, how, and from which lot.")
    """What was given, how, and from which lot."""


class DoseWastedPayload(ContractModel):
    """Drug left over and destroyed, with the second person who witnessed it."""

    medication: Medication = Field(description="The drug wasted.")
    """The drug wasted."""
    amount_mg: float = Field(
        gt=0,
        le=MAX_WASTE_MG,
        allow_inf_nan=False,
        description="Amount wasted in mg (> 0, at most 5000).",
    )
    """Amount wasted in mg (> 0, at most 5000)."""
    lot_number: Identifier = Field(description="Manufacturer's lot number of the drug.")
    """Manufacturer's lot number of the drug."""
    container_id: Identifier | None = Field(
        default=None, description="The vial, device or container the waste came from."
    )
    """The vial, device or container the waste came from."""
    witness_id: Identifier = Field(description="Staff identifier of the witness to the waste.")
    """Staff identifier of the witness to the waste."""


class DoseWasted(SessionLevelEvent):
    """Controlled substance left over was wasted in front of a witness."""

    event_type: Literal["dose.wasted"] = Field(description="Always `dose.wasted`.")
    """Always `dose.wasted`."""
    payload: DoseWastedPayload = Field(description="What was wasted and who witnessed it.")
    """What was wasted and who witnessed it."""
