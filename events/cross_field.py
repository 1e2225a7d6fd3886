"""Rules across fields, stated in the JSON Schemas as well as checked by the models.

A model validator checks these; without them in the schema, a publisher validating with
the published JSON Schema (or a client generated from the OpenAPI document) would accept
events the contract refuses. Rules JSON Schema cannot state (one number above another, an
event that amends itself) stay in the field descriptions only.
"""

from collections.abc import Iterable
from typing import Any

__all__ = ["any_given", "given_together", "required_when"]

JsonSchema = dict[str, Any]


def _given(names: Iterable[str]) -> JsonSchema:
    """Every one of ``names`` present and not null."""
    listed = list(names)
    return {
        "required": listed,
        "properties": {name: {"not": {"type": "null"}} for name in listed},
    }


def any_given(names: Iterable[str]) -> JsonSchema:
    """At least one of ``names`` present and not null."""
    return {"anyOf": [_given([name]) for name in names]}


def given_together(first: str, second: str) -> list[JsonSchema]:
    """``first`` and ``second`` both given, or neither (null counts as not given)."""
    return [
        {"if": _given([first]), "then": _given([second])},
        {"if": _given([second]), "then": _given([first])},
    ]


def required_when(field: str, value: str, names: Iterable[str]) -> JsonSchema:
    """``names`` present and not null when ``field`` is ``value``."""
    return {
        "if": {"required": [field], "properties": {field: {"const": value}}},
        "then": _given(names),
    }
