"""Before any dose: informed consent in force, and REMS enrolment for SPRAVATO."""

from __future__ import annotations

from datetime import datetime

from events import ConsentGiven, ConsentWithdrawn, DoseAdministered, RemsProgram
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import RuleResult
from projections.compliance.rules.support import Judge, without_dose
from projections.compliance.wording import stamp

__all__ = ["consent_before_first_dose", "rems_enrolled_before_dose"]

_CONSENT = Judge("consent.before_first_dose")
_REMS = Judge("rems.enrolled_before_dose")


def _consent_in_force(
    facts: SessionFacts, *, at: datetime
) -> tuple[ConsentGiven | None, ConsentWithdrawn | None]:
    """The latest consent in force at ``at``, and the latest withdrawal before it.

    "At or before": clinical records are kept to the minute, so a consent signed in the
    same minute as the dose counts as preceding it.
    """
    withdrawals = [w for w in facts.withdrawals if w.occurred_at <= at]
    withdrawal = withdrawals[-1] if withdrawals else None
    in_force = [
        c
        for c in facts.consents
        if c.occurred_at <= at and (withdrawal is None or c.occurred_at > withdrawal.occurred_at)
    ]
    return (in_force[-1] if in_force else None), withdrawal


def consent_before_first_dose(*, facts: SessionFacts) -> RuleResult:
    # Every dose is checked, not only the first: a withdrawal between two doses of one
    # session means the second was given without consent.
    first = facts.first_dose
    if first is None:
        return without_dose(_CONSENT, facts=facts)
    in_force: list[ConsentGiven] = []
    for dose in facts.doses:
        consent, withdrawal = _consent_in_force(facts, at=dose.occurred_at)
        if consent is None:
            return _without_consent(facts, dose=dose, withdrawal=withdrawal)
        in_force.append(consent)
    given = in_force[0]
    also = ""
    if len(facts.doses) > 1:
        also = f", and consent was still in force at each of the {len(facts.doses)} doses"
    return _CONSENT.passed(
        given,
        first,
        detail=f"Consent (form {given.payload.form_id}) given at {stamp(given.occurred_at)} "
        f"preceded the first dose at {stamp(first.occurred_at)}{also}.",
    )


def _without_consent(
    facts: SessionFacts, *, dose: DoseAdministered, withdrawal: ConsentWithdrawn | None
) -> RuleResult:
    which = "first dose" if dose is facts.doses[0] else "dose"
    when = stamp(dose.occurred_at)
    if withdrawal is not None:
        return _CONSENT.failed(
            withdrawal,
            dose,
            detail=f"Consent was withdrawn at {stamp(withdrawal.occurred_at)} and not given "
            f"again before the {which} at {when}.",
        )
    later = next((c for c in facts.consents if c.occurred_at > dose.occurred_at), None)
    after = f"; the first consent, at {stamp(later.occurred_at)}, came after it" if later else ""
    return _CONSENT.failed(
        dose,
        later,
        detail=f"No consent from patient {facts.patient_id} is on record before the {which} "
        f"at {when}{after}.",
    )


def rems_enrolled_before_dose(*, facts: SessionFacts) -> RuleResult:
    first = facts.first_dose
    if first is None:
        return without_dose(_REMS, facts=facts)
    spravato = [e for e in facts.enrolments if e.payload.program is RemsProgram.SPRAVATO_REMS]
    before = [e for e in spravato if e.occurred_at <= first.occurred_at]
    if before:
        enrolment = before[0]
        return _REMS.passed(
            enrolment,
            first,
            detail=f"The patient was enrolled in the SPRAVATO REMS "
            f"({enrolment.payload.enrollment_id}) at {stamp(enrolment.occurred_at)}, before the "
            f"first dose at {stamp(first.occurred_at)}.",
        )
    later = spravato[0] if spravato else None
    after = f"; the enrolment at {stamp(later.occurred_at)} came after it" if later else ""
    return _REMS.failed(
        first,
        later,
        detail=f"No SPRAVATO REMS enrolment is on record before the first dose at "
        f"{stamp(first.occurred_at)}{after}.",
    )
