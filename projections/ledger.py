"""The controlled-substance ledger (21 CFR 1304.22(c)): every administration and waste."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from events import DoseAdministered, DoseWasted
from projections.amendments import apply_amendments
from projections.history import SessionHistory
from projections.staff import same_person

__all__ = ["Ledger", "LedgerLine", "SubstanceTotals", "build_ledger"]


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerLine:
    """One administration or waste, with corrections applied."""

    event_id: str
    kind: str
    """``administered`` or ``wasted``."""
    occurred_at: datetime
    recorded_at: datetime
    clinic_id: str
    session_id: str
    patient_id: str
    medication: str
    amount_mg: float
    lot_number: str
    route: str | None
    actor_id: str
    witness_id: str | None
    amended: bool

    @property
    def unwitnessed(self) -> bool:
        """A waste without a second person as witness."""
        return self.kind == "wasted" and (
            not self.witness_id or same_person(self.witness_id, self.actor_id)
        )


@dataclass(slots=True, kw_only=True)
class SubstanceTotals:
    """Sums in exact decimals: mg as recorded (0.1 + 0.2 is 0.3), never rounding drift
    between a lot's lines and its total, and never an overflow to infinity."""

    administered_mg: Decimal = Decimal(0)
    wasted_mg: Decimal = Decimal(0)

    @property
    def total_mg(self) -> Decimal:
        return self.administered_mg + self.wasted_mg

    def add(self, *, kind: str, amount_mg: float) -> None:
        # repr() is the shortest decimal that reads back as the same float: the value as sent.
        exact = Decimal(repr(amount_mg))
        if kind == "administered":
            self.administered_mg += exact
        else:
            self.wasted_mg += exact


@dataclass(frozen=True, slots=True, kw_only=True)
class Ledger:
    clinic_id: str
    start: datetime
    end: datetime
    as_of: datetime
    lines: tuple[LedgerLine, ...]
    by_lot: dict[tuple[str, str], SubstanceTotals] = field(default_factory=dict)
    """(medication, lot number) -> totals."""
    by_medication: dict[str, SubstanceTotals] = field(default_factory=dict)

    @property
    def unwitnessed_waste_sessions(self) -> tuple[str, ...]:
        return tuple(sorted({line.session_id for line in self.lines if line.unwitnessed}))


def build_ledger(
    sessions: Iterable[SessionHistory],
    *,
    clinic_id: str,
    start: datetime,
    end: datetime,
    as_of: datetime,
) -> Ledger:
    """Lines whose clinical time lies in ``[start, end)``, as recorded by ``as_of``."""
    lines: list[LedgerLine] = []
    for session in sessions:
        if session.clinic_id != clinic_id:
            continue
        for item in apply_amendments(session.as_of(as_of).events):
            line = _line(
                item.recorded.event,
                recorded_at=item.recorded.recorded_at,
                session=session,
                amended=bool(item.amendments),
            )
            if line is not None and start <= line.occurred_at < end:
                lines.append(line)
    lines.sort(key=lambda line: (line.occurred_at, line.event_id))
    by_lot: dict[tuple[str, str], SubstanceTotals] = defaultdict(SubstanceTotals)
    by_medication: dict[str, SubstanceTotals] = defaultdict(SubstanceTotals)
    for line in lines:
        for totals in (by_lot[(line.medication, line.lot_number)], by_medication[line.medication]):
            totals.add(kind=line.kind, amount_mg=line.amount_mg)
    return Ledger(
        clinic_id=clinic_id,
        start=start,
        end=end,
        as_of=as_of,
        lines=tuple(lines),
        by_lot=dict(sorted(by_lot.items())),
        by_medication=dict(sorted(by_medication.items())),
    )


def _line(
    event: object, *, recorded_at: datetime, session: SessionHistory, amended: bool
) -> LedgerLine | None:
    if isinstance(event, DoseAdministered):
        p = event.payload
        kind, amount, route, witness = "administered", p.dose_mg, p.route.value, None
        medication, lot = p.medication.value, p.lot_number
    elif isinstance(event, DoseWasted):
        w = event.payload
        kind, amount, route, witness = "wasted", w.amount_mg, None, w.witness_id
        medication, lot = w.medication.value, w.lot_number
    else:
        return None
    return LedgerLine(
        event_id=str(event.event_id),
        kind=kind,
        occurred_at=event.occurred_at,
        recorded_at=recorded_at,
        clinic_id=event.clinic_id,
        session_id=session.session_id,
        patient_id=event.patient_id,
        medication=medication,
        amount_mg=amount,
        lot_number=lot,
        route=route,
        actor_id=event.actor.id,
        witness_id=witness,
        amended=amended,
    )
