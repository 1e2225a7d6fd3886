"""Blood pressure and oximetry around the dose: baseline, its range, and the 40-min check."""

from __future__ import annotations

from datetime import timedelta

from events import DoseAdministered, VitalsRecorded
from projections.compliance.facts import SessionFacts, has_blood_pressure
from projections.compliance.outcome import RuleResult
from projections.compliance.rules.support import Judge, without_dose
from projections.compliance.wording import blood_pressure, clock, in_minutes, spo2

__all__ = ["baseline_before_dose", "baseline_bp_in_range", "bp_at_40_min"]

_BASELINE = Judge("vitals.baseline_before_dose")
_IN_RANGE = Judge("vitals.baseline_bp_in_range")
_AT_40 = Judge("vitals.bp_at_40_min")


def _last_before(
    checks: tuple[VitalsRecorded, ...], *, dose: DoseAdministered
) -> VitalsRecorded | None:
    earlier = [check for check in checks if check.occurred_at <= dose.occurred_at]
    return earlier[-1] if earlier else None


def baseline_before_dose(*, facts: SessionFacts) -> RuleResult:
    dose = facts.first_dose
    if dose is None:
        return without_dose(_BASELINE, facts=facts)
    window = timedelta(minutes=facts.profile.baseline_window_minutes)
    in_window = tuple(c for c in facts.checks if dose.occurred_at - window <= c.occurred_at)
    pressure = _last_before(tuple(c for c in in_window if has_blood_pressure(c)), dose=dose)
    oximetry = _last_before(
        tuple(c for c in in_window if c.payload.spo2_pct is not None), dose=dose
    )
    needs_spo2 = facts.profile.baseline_requires_spo2
    limit = f"{facts.profile.baseline_window_minutes} min"
    if pressure is not None and (oximetry is not None or not needs_spo2):
        found = f"BP {blood_pressure(pressure)} at {clock(pressure.occurred_at)}"
        verb = "was"
        if needs_spo2 and oximetry is not None:
            found += f" and SpO2 {spo2(oximetry)} at {clock(oximetry.occurred_at)}"
            verb = "were"
        return _BASELINE.passed(
            pressure,
            oximetry if needs_spo2 else None,
            dose,
            detail=f"{found} {verb} taken within {limit} before the first dose at "
            f"{clock(dose.occurred_at)}.",
        )
    wanted = [("blood pressure", facts.blood_pressures())] if pressure is None else []
    if needs_spo2 and oximetry is None:
        wanted.append(("SpO2", tuple(c for c in facts.checks if c.payload.spo2_pct is not None)))
    earlier = [(what, _last_before(readings, dose=dose)) for what, readings in wanted]
    notes = "; ".join(
        f"the last {what} was at {clock(reading.occurred_at)}, "
        f"{in_minutes(dose.occurred_at - reading.occurred_at)} before the dose"
        for what, reading in earlier
        if reading is not None
    )
    return _BASELINE.failed(
        dose,
        *(reading for _, reading in earlier),
        detail=f"No {' or '.join(what for what, _ in wanted)} was recorded within {limit} "
        f"before the first dose at {clock(dose.occurred_at)}" + (f" ({notes})." if notes else "."),
    )


def baseline_bp_in_range(*, facts: SessionFacts) -> RuleResult:
    # A dose with no earlier reading is vitals.baseline_before_dose's concern; this rule
    # judges only readings that exist, so one gap is not reported twice.
    if not facts.doses:
        return without_dose(_IN_RANGE, facts=facts)
    pressures = facts.blood_pressures()
    judged = [
        (dose, reading)
        for dose in facts.doses
        if (reading := _last_before(pressures, dose=dose)) is not None
    ]
    if not judged:
        return _IN_RANGE.not_applicable(
            *facts.doses,
            detail="No blood pressure was recorded before any dose, so there is no reading to "
            "judge (vitals.baseline_before_dose reports the missing reading).",
        )
    top_systolic = facts.profile.baseline_max_systolic_mmhg
    top_diastolic = facts.profile.baseline_max_diastolic_mmhg
    limit = f"{top_systolic}/{top_diastolic}"
    too_high = [
        (dose, reading)
        for dose, reading in judged
        if (reading.payload.systolic_mmhg or 0) > top_systolic
        or (reading.payload.diastolic_mmhg or 0) > top_diastolic
    ]
    if too_high:
        dose, reading = too_high[0]
        more = (
            f" ({len(too_high)} doses in all followed a reading above it)"
            if len(too_high) > 1
            else ""
        )
        return _IN_RANGE.failed(
            *(event for pair in too_high for event in pair),
            detail=f"BP {blood_pressure(reading)} at {clock(reading.occurred_at)}, "
            f"{in_minutes(dose.occurred_at - reading.occurred_at)} before the dose at "
            f"{clock(dose.occurred_at)}, exceeds {limit}{more}.",
        )
    dose, reading = judged[0]
    if len(judged) == 1:
        detail = (
            f"BP {blood_pressure(reading)} at {clock(reading.occurred_at)}, "
            f"{in_minutes(dose.occurred_at - reading.occurred_at)} before the dose at "
            f"{clock(dose.occurred_at)}, is within {limit}."
        )
    else:
        detail = f"The last BP before each of the {len(judged)} doses was within {limit}."
    return _IN_RANGE.passed(*(event for pair in judged for event in pair), detail=detail)


def bp_at_40_min(*, facts: SessionFacts) -> RuleResult:
    dose = facts.first_dose
    if dose is None:
        return without_dose(_AT_40, facts=facts)
    profile = facts.profile
    opens = dose.occurred_at + timedelta(minutes=profile.post_dose_bp_from_minutes)
    closes = dose.occurred_at + timedelta(minutes=profile.post_dose_bp_until_minutes)
    span = f"{profile.post_dose_bp_from_minutes}-{profile.post_dose_bp_until_minutes} min"
    in_window = [r for r in facts.blood_pressures() if opens <= r.occurred_at <= closes]
    if in_window:
        reading = in_window[0]
        return _AT_40.passed(
            reading,
            dose,
            detail=f"BP {blood_pressure(reading)} at {clock(reading.occurred_at)}, "
            f"{in_minutes(reading.occurred_at - dose.occurred_at)} after the first dose at "
            f"{clock(dose.occurred_at)}, is within the {span} window.",
        )
    window = (
        f"between {clock(opens)} and {clock(closes)} ({span} after the first dose at "
        f"{clock(dose.occurred_at)})"
    )
    # The window's last minute still counts: a reading taken at `closes` would pass.
    if facts.as_of <= closes:
        return _AT_40.pending(
            dose,
            detail=f"No blood pressure yet {window}; the window is still open at "
            f"{clock(facts.as_of)}.",
            due=closes,
        )
    return _AT_40.failed(dose, detail=f"No blood pressure was recorded {window}.")
