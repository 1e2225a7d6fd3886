"""The report as one self-contained HTML page: styles inline, no scripts, nothing fetched.

The same page is the PDF's source (WeasyPrint) and prints as it is from a browser, so
its CSS is written for paper first: portrait A4 or Letter, table headers repeated on
every page, identifiers never broken, and the period and judging instant in every
page's top margin. It is XHTML-compatible HTML5 (every element closed), so XML tools
can read it too, as regulators' archives sometimes do.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from decimal import Decimal
from importlib import resources
from typing import Any, Final, Literal

import jinja2

from services.reporting.document import PENDING_MEANS, ReportDocument
from services.reporting.thresholds import ProfileApplied, SettingApplied

__all__ = ["PROTOCOL_NAMES", "Paper", "render_html", "style_hash"]

Paper = Literal["letter", "A4"]

PROTOCOL_NAMES: Final = {
    "spravato-rems": "SPRAVATO (REMS)",
    "iv-ketamine": "IV ketamine",
    "im-ketamine": "IM ketamine",
    "sublingual-ketamine": "sublingual ketamine",
}

_STATUSES: Final = ("compliant", "non_compliant", "pending", "open")
_TEMPLATES: Final = resources.files("services.reporting") / "templates"


def render_html(document: ReportDocument, *, paper: Paper = "letter") -> str:
    """The page; ``paper`` sets the printed page size (the layout fits both)."""
    setting_names = list(dict.fromkeys(s.name for p in document.thresholds for s in p.settings))
    return (
        _environment()
        .get_template("report.html")
        .render(
            doc=document,
            style=page_style(document, paper=paper),
            statuses=_STATUSES,
            pending_means=PENDING_MEANS,
            setting_names=setting_names,
            settings_of=_setting,
        )
    )


def page_style(document: ReportDocument, *, paper: Paper = "letter") -> str:
    """The stylesheet, with this report's page size and running header."""
    base = (_TEMPLATES / "report.css").read_text(encoding="utf-8")
    page = (
        f"@page {{ size: {paper} portrait; "
        f"@top-left {{ content: {_css_string(document.running_header)}; "
        'font: 7.5pt "DejaVu Sans", sans-serif; color: #333; } }\n'
    )
    return base + page


def style_hash(html: str) -> str:
    """The CSP source (``'sha256-…'``) that allows this page's one inline style, so it
    can be served under a policy that allows nothing else."""
    start = html.index("<style>") + len("<style>")
    end = html.index("</style>", start)
    digest = hashlib.sha256(html[start:end].encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def _css_string(text: str) -> str:
    # Clinic ids come from outside: escape every character that could end the string
    # or the rule, rather than trusting them.
    return (
        '"'
        + "".join(c if c.isalnum() or c in " -.:·,()/" else f"\\{ord(c):06x}" for c in text)
        + '"'
    )


def _setting(profile: ProfileApplied, name: str) -> SettingApplied | None:
    return next((s for s in profile.settings if s.name == name), None)


def _local(instant: datetime) -> str:
    return f"{instant:%Y-%m-%d %H:%M %Z}"


def _utc(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def _mg(value: Decimal) -> str:
    # As recorded, without trailing zeros or an exponent: 12.5, 100, 0.3.
    return f"{value.normalize():f}"


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (_TEMPLATES / name).read_text(encoding="utf-8")),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    filters: dict[str, Any] = {
        "local": _local,
        "utc": _utc,
        "percent": _percent,
        "mg": _mg,
        "label": lambda value: str(value).replace("_", " "),
        "protocol_name": lambda value: PROTOCOL_NAMES.get(value, value),
    }
    environment.filters.update(filters)
    return environment
