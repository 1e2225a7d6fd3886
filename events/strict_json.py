"""JSON read the one strict way the contract allows, for every reader of untrusted bytes."""

import json
import math
from typing import Any

__all__ = ["json_kind", "load_strict_json"]


def load_strict_json(text: str) -> Any:
    """``json.loads`` refusing duplicate keys, NaN, Infinity and out-of-range numbers.

    Raises ValueError (or RecursionError for absurd nesting) with a readable message.
    """
    return json.loads(
        text,
        parse_constant=_reject_non_finite,
        parse_float=_finite_float,
        object_pairs_hook=_object_without_duplicate_keys,
    )


def json_kind(value: Any) -> str:
    """``an object``, ``an array``, ``a string``... for error messages."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


def _reject_non_finite(constant: str) -> float:
    raise ValueError(f"{constant} is not a JSON number")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if math.isinf(number):
        raise ValueError("number out of range")
    return number


def _object_without_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Parsers disagree on which duplicate wins; an audit record must mean one thing.
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"duplicate key {key[:64]!r}")
        document[key] = value
    return document
