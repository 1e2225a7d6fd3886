"""Plain JSON from the read side's dataclasses (for ``--json`` and the HTTP API)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

__all__ = ["jsonable"]


def jsonable(value: Any) -> Any:
    """Dataclasses to dicts, enums to values, instants to ISO 8601; tuples to lists."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        document = {
            f.name: jsonable(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not f.name.startswith("_")  # a cache (Recorded's event id text), not data
        }
        for name in dir(type(value)):
            if isinstance(getattr(type(value), name, None), property) and not name.startswith("_"):
                document[name] = jsonable(getattr(value, name))
        return document
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        # JSON has one number type; a total of doses within their ranges is far from
        # float's limits, and this is the same number the CSV and dashboard show.
        return float(value)
    if isinstance(value, dict):
        return {_key(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def _key(key: Any) -> str:
    if isinstance(key, tuple):
        return "/".join(str(part) for part in key)
    return str(jsonable(key))
