"""The Jinja2 environment of the dashboard: templates, filters and link building."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from jinja2.runtime import Context
from starlette.templating import Jinja2Templates

from projections.compliance import RULE_DESCRIPTIONS, RULE_TITLES
from projections.verdicts import PROTOCOL_RECORDED, PROTOCOL_RECORDED_TITLE
from services.clinic_time import clinic_time

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


@jinja2.pass_context
def _when(context: Context, instant: datetime | None, zone: tzinfo | None = None) -> str:
    """``2026-11-24 08:05 UTC-07:00``: on ``zone``, else the page's clinic's (``zone`` of
    the page, set by ``chrome``), so that every time of a page is on one clock."""
    return clinic_time(instant, zone or context.get("zone"))


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
        "when": _when,
        "percent": _percent,
        "number": _number,
        "label": _label,
        "protocol_name": lambda value: _PROTOCOL_NAMES.get(value or "", value or "unknown"),
    }
    environment.filters.update(filters)
    environment.globals.update(
        {
            "link": link,
            "rule_descriptions": RULE_DESCRIPTIONS,
            "rule_titles": {**RULE_TITLES, PROTOCOL_RECORDED: PROTOCOL_RECORDED_TITLE},
        }
    )
    return environment


TEMPLATES = Jinja2Templates(env=_environment())
