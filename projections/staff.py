"""Staff identifiers: when two of them name the same person."""

from __future__ import annotations

__all__ = ["same_person"]


def same_person(first: str, second: str) -> bool:
    """Whether two staff ids name one person, for every check that asks (the waste rule,
    the ledger, its CSV and dashboard).

    Staff ids come from different systems (the pump, the EHR, the waste log), which
    differ in case and stray spaces: "RN-Lindqvist" and "rn-lindqvist " are one person.
    """
    return first.strip().casefold() == second.strip().casefold()
