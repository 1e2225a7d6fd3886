"""``data/reports/controlled-substances.csv``: the DEA-style administration and waste log.

21 CFR 1304.22(c) asks, for each administration, the drug, the amount, the date and who
gave it; waste is recorded with its amount and a second person as witness (DEA guidance;
KAP-DOMAIN.md). Lines come from the ledger projection (corrections applied), one per
``dose.administered`` and per ``dose.wasted``, selected by their own time as the API's
ledger is: a dose given in the period is listed even when its session began the day before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from events import DoseAdministered, DoseWasted
from projections import SessionHistory
from projections.amendments import apply_amendments
from projections.ledger import build_ledger
from services.csv_tables import csv_table

__all__ = [
    "CONTROLLED_SUBSTANCE_COLUMNS",
    "controlled_substance_order",
    "controlled_substance_rows",
    "controlled_substances_csv",
]

CONTROLLED_SUBSTANCE_COLUMNS: Final = (
    "occurred_at",
    "date",
    "time",
    "kind",
    "substance",
    "dea_schedule",
    "ndc",
    "lot_number",
    "container_id",
    "route",
    "amount_administered",
    "amount_wasted",
    "unit",
    "performed_by",
    "performed_by_role",
    "witness_id",
    "unwitnessed",
    "patient_id",
    "session_id",
    "clinic_id",
    "event_id",
    "recorded_at",
    "amended",
)

# Ketamine (21 CFR 1308.13(c)) and esketamine, a ketamine isomer, are both Schedule III.
_SCHEDULE: Final = {"ketamine": "CIII", "esketamine": "CIII"}

Row = tuple[object, ...]


def controlled_substance_rows(
    session: SessionHistory, *, start: datetime, end: datetime, as_of: datetime, zone: ZoneInfo
) -> list[Row]:
    """The session's administrations and wastes in ``[start, end)``, as recorded by
    ``as_of``, as cells in ``CONTROLLED_SUBSTANCE_COLUMNS`` order, times at ``zone``."""
    if not any(isinstance(r.event, DoseAdministered | DoseWasted) for r in session.events):
        return []
    ledger = build_ledger([session], clinic_id=session.clinic_id, start=start, end=end, as_of=as_of)
    if not ledger.lines:
        return []
    # The ledger line leaves out what the form needs beyond 1304.22(c)'s minimum: the NDC,
    # the container and the role of the person; they come from the same corrected events.
    corrected = {
        item.recorded.event_id: item.recorded.event
        for item in apply_amendments(session.as_of(as_of).events)
    }
    rows: list[Row] = []
    for line in ledger.lines:
        event = corrected[line.event_id]
        ndc = event.payload.ndc if isinstance(event, DoseAdministered) else None
        container = (
            event.payload.container_id if isinstance(event, DoseAdministered | DoseWasted) else None
        )
        local = line.occurred_at.astimezone(zone)
        given = line.kind == "administered"
        rows.append(
            (
                local,
                local.date().isoformat(),
                local.strftime("%H:%M:%S"),
                line.kind,
                line.medication,
                _SCHEDULE.get(line.medication, ""),
                ndc,
                line.lot_number,
                container,
                line.route,
                line.amount_mg if given else None,
                None if given else line.amount_mg,
                "mg",
                line.actor_id,
                event.actor.role.value,
                line.witness_id,
                line.unwitnessed,
                line.patient_id,
                line.session_id,
                line.clinic_id,
                line.event_id,
                line.recorded_at.astimezone(zone),
                line.amended,
            )
        )
    return rows


def controlled_substance_order(row: Sequence[object]) -> tuple[datetime, str]:
    """Clinical order: time, then event id, as the ledger sorts."""
    return _clinical_order(tuple(row))


def _clinical_order(row: Row) -> tuple[datetime, str]:
    occurred_at, event_id = row[0], row[20]
    assert isinstance(occurred_at, datetime)
    return occurred_at, str(event_id)


def controlled_substances_csv(rows: list[Row]) -> str:
    """The log in clinical order (time, then event id, as the ledger sorts)."""
    ordered: list[Row] = sorted(rows, key=_clinical_order)
    return csv_table(CONTROLLED_SUBSTANCE_COLUMNS, ordered)
