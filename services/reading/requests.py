"""Who asks, where from, and what for: what every access record of one request carries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from events import AccessChannel
from services.auth import Principal

__all__ = ["ReadRequest"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadRequest:
    """One request for patient data, as the access log records it."""

    principal: Principal
    channel: AccessChannel
    resource: str
    """What was asked for, e.g. ``GET /v1/sessions/s-1/timeline`` or ``POST /v1/exports``."""
    query: Mapping[str, str]
    """The parameters as the reader gave them (the period's ``from``/``to`` among them)."""
