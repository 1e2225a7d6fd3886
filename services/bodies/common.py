"""What every read-side body shares: instants, counts, exact bodies and the period."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from services.period import Period

__all__ = ["Body", "Count", "ExactOut", "Instant", "PeriodOut"]

Instant = Annotated[
    datetime,
    # ISO 8601 as Python writes it, the same text as the CLI's --json and Period.as_json.
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

Count = Annotated[int, Field(ge=0)]
"""A number of sessions, reads or events."""


class Body(BaseModel):
    """A JSON body of the read side, as the API answers it and `--json` prints it."""

    # The attribute docstrings below become the field descriptions in /docs.
    model_config = ConfigDict(use_attribute_docstrings=True)


class ExactOut(Body):
    """A body documented key for key: every field required, no other key allowed.

    Built from the read side's dataclasses (``from_attributes``: their fields and
    properties), so that the body is what the model declares and nothing else.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", from_attributes=True)

    @classmethod
    def from_read_model(cls, value: object, **fields: object) -> Self:
        """The body of ``value``, a read model, with ``fields`` added or replaced (the
        period the API answered, which the read models do not know)."""
        document = {name: getattr(value, name) for name in cls.model_fields if hasattr(value, name)}
        return cls.model_validate({**document, **fields})


class PeriodOut(ExactOut):
    """The exact period answered: ``[start, end)``, days cut in the clinic's zone."""

    start: Instant
    """The first instant included, in UTC."""
    end: Instant
    """The first instant after the period, in UTC."""
    time_zone: str
    """The clinic's IANA time zone, where its days begin (e.g. `America/Denver`)."""
    local_start: Instant
    """`start` on the clinic's clock."""
    local_end: Instant
    """`end` on the clinic's clock."""
    description: str
    """For people, e.g. `2026-11-27 00:00 to 2026-12-04 00:00 America/Denver
    (2026-11-27T07:00:00Z/2026-12-04T07:00:00Z)`."""

    @classmethod
    def of(cls, period: Period) -> PeriodOut:
        return cls(
            start=period.start,
            end=period.end,
            time_zone=period.zone.key,
            local_start=period.local_start,
            local_end=period.local_end,
            description=period.describe(),
        )
