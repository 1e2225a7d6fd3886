"""Canonical JSON: the one byte sequence an event or document is stored and hashed as."""

import json
from collections.abc import Mapping
from typing import Any

from events.catalogue import SessionEvent

__all__ = ["canonical_bytes", "canonical_json"]


def canonical_json(event: SessionEvent) -> bytes:
    """The event as compact UTF-8 JSON with sorted keys and without null fields.

    Omitting nulls makes `"witness_id": null` and an absent witness_id the same bytes, so
    re-sending an event that differs only in that way is recognised as the same event.
    Timestamps keep the offset the publisher sent (the clinic's local time is part of the
    record); the same instant and offset always renders the same way. Round-trips:
    `parse_event(canonical_json(event)) == event`.
    """
    return canonical_bytes(event.model_dump(mode="json", exclude_none=True))


def canonical_bytes(document: Mapping[str, Any]) -> bytes:
    """Any JSON document rendered with the same rules as `canonical_json`.

    Raises `ValueError` for NaN or infinite numbers, which JSON cannot represent.
    """
    return json.dumps(
        document,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_mapping_as_dict,
    ).encode("utf-8")


def _mapping_as_dict(value: object) -> object:
    # json only encodes dict itself; read-only mappings (MappingProxyType) are still objects.
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
