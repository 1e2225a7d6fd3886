"""Request and response bodies of ``/v1/exports``, as they appear in the OpenAPI document."""

from __future__ import annotations

from typing import Annotated, Final

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from services.bodies.common import Count, Instant, PeriodOut
from services.exporting.ports import ExportStatus
from services.http.api.params import BOUND_SCHEMA

__all__ = ["ExportAccepted", "ExportLinks", "ExportList", "ExportOut", "NewExport"]

_OptionalBound = WithJsonSchema({"anyOf": [*BOUND_SCHEMA["anyOf"], {"type": "null"}]})
"""A day or an instant as the report endpoints' ``from`` and ``to``, or null."""

MAX_PREVIOUS_SIZES: Final = 100

# The API's identifier rules (services.http.api.params).
_CLINIC_PATTERN: Final = r"^[^/\x00]{1,64}$"
_IDENTIFIER_PATTERN: Final = r"^[^\x00]{1,64}$"


class NewExport(BaseModel):
    """What to export: a clinic's log entries over a period, optionally of one patient."""

    model_config = ConfigDict(
        extra="forbid", populate_by_name=True, use_attribute_docstrings=True, frozen=True
    )

    clinic_id: Annotated[str, Field(pattern=_CLINIC_PATTERN, examples=["clinic-demo"])]
    """The clinic; the token must be a regulator or admin token covering it."""
    start: Annotated[
        str | None,
        _OptionalBound,
        Field(alias="from", max_length=64, examples=["2026-11-24"]),
    ] = None
    """First day (included) or start instant: an ISO 8601 date or instant, read at the
    clinic as the report endpoints read `from`. Default: the 7 days ending with `to`."""
    to: Annotated[str | None, _OptionalBound, Field(max_length=64, examples=["2026-11-24"])] = None
    """Last day (included) or end instant (excluded), as the report endpoints. Default:
    today, at the clinic."""
    patient_id: Annotated[str | None, Field(pattern=_IDENTIFIER_PATTERN)] = None
    """Only this patient's streams."""
    previous_sizes: Annotated[
        list[Annotated[int, Field(ge=1)]], Field(max_length=MAX_PREVIOUS_SIZES)
    ] = []
    """Tree sizes of checkpoints the recipient holds (earlier bundles'): the bundle proves
    its checkpoint extends each."""


class _Out(BaseModel):
    model_config = ConfigDict(use_attribute_docstrings=True)


class ExportLinks(_Out):
    status: str
    """`GET` it for the export's status and progress."""
    bundle: str
    """`GET` it for the zip once the status is `done`."""


class ExportAccepted(_Out):
    export_id: str
    status: ExportStatus
    """`queued`: the bundle is made in the background, one export at a time."""
    links: ExportLinks


class ExportOut(_Out):
    export_id: str
    clinic_id: str
    patient_id: str | None
    period: PeriodOut
    requested_by: str
    """The name of the token that asked for it (the access log names it too)."""
    requester_role: str
    status: ExportStatus
    """`queued`, `running`, `done` or `failed`."""
    entries_written: Count
    """Progress: entries written so far (every clinical entry counts twice, once per pass)."""
    entries_expected: Count | None
    """Progress: entries to write in all; null until the export has selected them."""
    checkpoint_size: Count | None
    """Tree size of the signed checkpoint the bundle is pinned to, once chosen."""
    counts: dict[str, Count] | None
    """The manifest's counts (`events`, `access`, `streams`, `patients`, `sessions`, ...)
    once `done`."""
    error: str | None
    """Why it failed, when `failed`."""
    created_at: Instant
    started_at: Instant | None
    finished_at: Instant | None
    links: ExportLinks


class ExportList(_Out):
    items: list[ExportOut]
    """Newest first: the token's own exports, or every export for an admin token."""
