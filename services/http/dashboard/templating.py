"""The Jinja2 environment of the dashboard: templates, filters and link building."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from starlette.templating import Jinja2Templates

from projections.compliance import RULE_DESCRIPTIONS

__all__ = ["STATIC_DIR", "TEMPLATES", "TEMPLATE_DIR", "link"]

TEMPLATE_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

_PROTOCOL_NAMES = {
    "spravato-rems": "SPRAVATO (REMS)",
    "iv-ketamine": "IV ketamine",
    "im-ketamine": "IM ketamine",
    "sublingual-ketamine": "sublingual ketamine",
}


def link(path: str, params: Mapping[str, object] | None = None, **overrides: object) -> str:
    """``path`` with the non-empty ``params`` (``overrides`` win) as its query string."""
    merged = {**(params or {}), **overrides}
    query = {key: str(value) for key, value in merged.items() if value not in (None, "")}
    return f"{path}?{urlencode(query)}" if query else path


def _clock(instant: datetime | None) -> str:
    # Times stay on the clock of the system that reported them (the clinic's), as in the CLI.
    return instant.strftime("%H:%M") if instant else ""


def _offset(instant: datetime | None) -> str:
    """``UTC`` or ``UTC-07:00``: the offset the reporting system gave the time."""
    offset = instant.utcoffset() if instant else None
    if offset is None:
        return ""
    if not offset:
        return "UTC"
    text = instant.strftime("%z") if instant else ""
    return f"UTC{text[:3]}:{text[3:]}"


def _when(instant: datetime | None) -> str:
    # The offset is part of the record (events keep the publisher's), so it is always shown.
    return f"{instant:%Y-%m-%d %H:%M} {_offset(instant)}".rstrip() if instant else ""


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def _number(value: float | Decimal) -> str:
    return f"{value:g}"


def _label(value: str) -> str:
    """``non_compliant`` -> ``non compliant``; enum values read as words on the page."""
    return value.replace("_", " ")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Any] = {
        "clock": _clock,
        "when": _when,
        "offset": _offset,
        "percent": _percent,
        "number": _number,
        "label": _label,
        "protocol_name": lambda value: _PROTOCOL_NAMES.get(value or "", value or "unknown"),
    }
    environment.filters.update(filters)
    environment.globals.update({"link": link, "rule_descriptions": RULE_DESCRIPTIONS})
    return environment


TEMPLATES = Jinja2Templates(env=_environment())
