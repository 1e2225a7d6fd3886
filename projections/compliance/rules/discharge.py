"""Leaving the clinic: long enough after the dose, stable, and safely home."""

from __future__ import annotations

from datetime import datetime, timedelta

from events import DoseAdministered
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import RuleResult
from projections.compliance.rules.support import Judge, without_discharge, without_dose
from projections.compliance.wording import blood_pressure, clock, in_minutes

__all__ = ["escort_or_no_driving", "minimum_observation", "stable_with_vitals"]

_OBSERVATION = Judge("observation.minimum_duration")
_STABLE = Judge("discharge.stable_with_vitals")
_ESCORT = Judge("discharge.escort_or_no_driving")


def _end_of(dose: DoseAdministered) -> datetime:
    # An infusion's effect is observed from when it stops, not from when it starts.
    minutes = dose.payload.infusion_minutes
    return dose.occurred_at + timedelta(minutes=minutes) if minutes else dose.occurred_at


def _describe_end(dose: DoseAdministered) -> str:
    minutes = dose.payload.infusion_minutes
    if minutes:
        return (
            f"the last dose ended at {clock(_end_of(dose))} (a {minutes:g}-min infusion started "
            f"at {clock(dose.occurred_at)})"
        )
    return f"the last dose at {clock(dose.occurred_at)}"


def minimum_observation(*, facts: SessionFacts) -> RuleResult:
    if not facts.doses:
        return without_dose(_OBSERVATION, facts=facts)
    last = max(facts.doses, key=_end_of)
    minimum = timedelta(minutes=facts.profile.observation_minimum_minutes)
    needed = f"the minimum is {facts.profile.observation_minimum_minutes} min"
    discharge = facts.discharge
    if discharge is None:
        if facts.ended is None:
            return _OBSERVATION.pending(
                last,
                detail=f"The patient has not been discharged yet; discharge is due no earlier "
                f"than {clock(_end_of(last) + minimum)}, as {_describe_end(last)} and {needed}.",
            )
        return without_discharge(
            _OBSERVATION, facts=facts, needed_for="the observation time after the last dose"
        )
    observed = discharge.occurred_at - _end_of(last)
    if observed >= minimum:
        return _OBSERVATION.passed(
            last,
            discharge,
            detail=f"Discharge at {clock(discharge.occurred_at)} came {in_minutes(observed)} after "
            f"{_describe_end(last)}; {needed}.",
        )
    # Discharge before the infusion even ended is possible in a bad record; say so plainly.
    how_long = (
        f"{in_minutes(observed)} before"
        if observed < timedelta(0)
        else f"only {in_minutes(observed)} after"
    )
    return _OBSERVATION.failed(
        last,
        discharge,
        detail=f"Discharge at {clock(discharge.occurred_at)} came {how_long} "
        f"{_describe_end(last)}; {needed}.",
    )


def stable_with_vitals(*, facts: SessionFacts) -> RuleResult:
    if not facts.doses:
        return without_dose(_STABLE, facts=facts)
    discharge = facts.discharge
    if discharge is None:
        return without_discharge(_STABLE, facts=facts, needed_for="a stable discharge")
    minutes = facts.profile.discharge_vitals_window_minutes
    window = timedelta(minutes=minutes)
    earlier = [r for r in facts.blood_pressures() if r.occurred_at <= discharge.occurred_at]
    recent = [r for r in earlier if discharge.occurred_at - r.occurred_at <= window]
    reading = recent[-1] if recent else None
    at = clock(discharge.occurred_at)
    if discharge.payload.clinically_stable and reading is not None:
        return _STABLE.passed(
            discharge,
            reading,
            detail=f"The patient was discharged clinically stable at {at}, with BP "
            f"{blood_pressure(reading)} at {clock(reading.occurred_at)}, "
            f"{in_minutes(discharge.occurred_at - reading.occurred_at)} before.",
        )
    problems = []
    if not discharge.payload.clinically_stable:
        problems.append("the patient was not recorded as clinically stable")
    last = earlier[-1] if earlier else None
    if reading is None:
        note = ""
        if last is not None:
            ago = in_minutes(discharge.occurred_at - last.occurred_at)
            note = f" (the last was at {clock(last.occurred_at)}, {ago} before)"
        problems.append(f"no blood pressure was taken in the {minutes} min before it{note}")
    return _STABLE.failed(
        discharge,
        last,
        detail=f"At discharge at {at}, {' and '.join(problems)}.",
    )


def escort_or_no_driving(*, facts: SessionFacts) -> RuleResult:
    if not facts.doses:
        return without_dose(_ESCORT, facts=facts)
    discharge = facts.discharge
    if discharge is None:
        return without_discharge(_ESCORT, facts=facts, needed_for="a safe journey home")
    profile = facts.profile
    required = []
    if profile.discharge_requires_escort:
        required.append(("escorted by a responsible adult", discharge.payload.escort_present))
    if profile.discharge_requires_driving_advice:
        required.append(
            ("told not to drive until the next day", discharge.payload.driving_advice_given)
        )
    missing = [what for what, done in required if not done]
    at = clock(discharge.occurred_at)
    if missing:
        return _ESCORT.failed(
            discharge,
            detail=f"The patient discharged at {at} was not {' and not '.join(missing)}.",
        )
    return _ESCORT.passed(
        discharge,
        detail=f"The patient discharged at {at} was {' and '.join(what for what, _ in required)}.",
    )
