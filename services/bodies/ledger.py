"""The JSON body of ``GET /v1/clinics/{clinic_id}/controlled-substances``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from events import Medication, Route
from services.bodies.common import ExactOut, Instant, PeriodOut

__all__ = ["ControlledSubstanceLedger", "LedgerLine", "SubstanceTotals"]


def _lot_keys(value: Any) -> Any:
    # The ledger keys its lots by (medication, lot number).
    if isinstance(value, dict):
        return {"/".join(k) if isinstance(k, tuple) else k: v for k, v in value.items()}
    return value


class LedgerLine(ExactOut):
    """One administration or waste, with corrections applied."""

    event_id: str
    kind: Literal["administered", "wasted"]
    occurred_at: Instant
    recorded_at: Instant
    clinic_id: str
    session_id: str
    patient_id: str
    medication: Medication
    amount_mg: float
    lot_number: str
    route: Route | None
    """The route of an administration; null for a waste."""
    actor_id: str
    witness_id: str | None
    """The witness of a waste; null for an administration."""
    amended: bool
    """Whether a correction was applied to the line."""
    unwitnessed: bool
    """A waste without a second person as witness."""


class SubstanceTotals(ExactOut):
    administered_mg: float
    wasted_mg: float
    total_mg: float
    """Administered plus wasted."""


class ControlledSubstanceLedger(ExactOut):
    clinic_id: str
    period: PeriodOut
    """The exact period answered (`start` and `end` repeat its instants)."""
    start: Instant
    end: Instant
    as_of: Instant
    lines: list[LedgerLine]
    """By clinical time."""
    by_lot: Annotated[dict[str, SubstanceTotals], BeforeValidator(_lot_keys)]
    """`<medication>/<lot number>` -> totals."""
    by_medication: dict[str, SubstanceTotals]
    """Medication -> totals."""
    unwitnessed_waste_sessions: list[str]
    """Sessions with a waste nobody else witnessed, by id."""
