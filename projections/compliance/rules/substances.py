"""Controlled substances: every waste of ketamine or esketamine has a second-person witness."""

from __future__ import annotations

from events import DoseWasted
from projections.compliance.facts import SessionFacts
from projections.compliance.outcome import RuleResult
from projections.compliance.rules.support import Judge
from projections.compliance.wording import clock
from projections.staff import same_person

__all__ = ["waste_witnessed"]

_WASTE = Judge("controlled_substance.waste_witnessed")


def _self_witnessed(waste: DoseWasted) -> bool:
    return same_person(waste.payload.witness_id, waste.actor.id)


def _described(waste: DoseWasted) -> str:
    return (
        f"{waste.payload.amount_mg:g} mg of {waste.payload.medication} (lot "
        f"{waste.payload.lot_number}) at {clock(waste.occurred_at)}"
    )


def waste_witnessed(*, facts: SessionFacts) -> RuleResult:
    # DEA guidance and 21 CFR 1304.22(c): waste is recorded with a second person as witness.
    if not facts.wastes:
        return _WASTE.not_applicable(detail="No controlled substance was wasted in this session.")
    unwitnessed = [waste for waste in facts.wastes if _self_witnessed(waste)]
    if unwitnessed:
        waste = unwitnessed[0]
        more = f"; {len(unwitnessed)} wastes in all" if len(unwitnessed) > 1 else ""
        return _WASTE.failed(
            *unwitnessed,
            detail=f"The waste of {_described(waste)} was witnessed by {waste.actor.id}, the "
            f"same person who wasted it, not by a second person{more}.",
        )
    if len(facts.wastes) == 1:
        waste = facts.wastes[0]
        detail = (
            f"The waste of {_described(waste)} by {waste.actor.id} was witnessed by "
            f"{waste.payload.witness_id}."
        )
    else:
        detail = f"Each of the {len(facts.wastes)} wastes was witnessed by a second person."
    return _WASTE.passed(*facts.wastes, detail=detail)
