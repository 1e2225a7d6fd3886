"""Response bodies of the v1 API, as they appear in the OpenAPI document."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final, Self

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from events import Protocol
from projections.compliance import Outcome, SessionStatus
from services.period import Period

__all__ = [
    "NO_SUCH_CLINIC",
    "Accepted",
    "BrokenLinkOut",
    "Count",
    "ExactOut",
    "Instant",
    "LogVerification",
    "PeriodOut",
    "ProblemOut",
    "RuleOutcome",
    "SessionCompliance",
    "SessionPage",
    "SessionSummary",
    "ValidationProblems",
    "error_responses",
]

Instant = Annotated[
    datetime,
    # ISO 8601 as Python writes it, the same text as the CLI's --json and Period.as_json.
    PlainSerializer(lambda value: value.isoformat(), return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]

Count = Annotated[int, Field(ge=0)]
"""A number of sessions, reads or events."""


class _Out(BaseModel):
    # The attribute docstrings below become the field descriptions in /docs.
    model_config = ConfigDict(use_attribute_docstrings=True)


class ExactOut(_Out):
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


class Accepted(_Out):
    accepted: list[str]
    """The event ids the broker acknowledged, in request order, each once."""


class ProblemOut(_Out):
    index: int | None
    """The event's position in the request; null when not about one event."""
    path: str
    message: str


class ValidationProblems(_Out):
    errors: list[ProblemOut]


class SessionSummary(_Out):
    session_id: str
    clinic_id: str
    patient_id: str
    protocol: Protocol | None
    status: SessionStatus
    session_start: Instant | None
    failed_rules: list[str]
    profile_version: int | None
    """The clinic's profile version the session was judged with (0: the shipped defaults;
    null without a protocol)."""


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


class SessionPage(_Out):
    period: PeriodOut
    """The period the sessions start in."""
    items: list[SessionSummary]
    total: int
    limit: int
    offset: int


class RuleOutcome(_Out):
    rule_id: str
    outcome: Outcome
    evidence: list[str]
    detail: str


class SessionCompliance(_Out):
    session_id: str
    clinic_id: str
    patient_id: str
    protocol: Protocol | None
    status: SessionStatus
    as_of: Instant
    rules: list[RuleOutcome]
    profile_version: int | None
    """The clinic's profile version in force at `as_of` that the rules were checked with
    (0: the shipped defaults; null without a protocol)."""


class BrokenLinkOut(_Out):
    stream_id: str
    sequence: int
    position: int | None
    event_id: str | None
    problem: str
    detail: str


class TreeFindingOut(_Out):
    problem: str
    """truncated, rewritten, untrusted or tree_mismatch (docs/LOG-FORMAT.md)."""
    detail: str


class LogVerification(_Out):
    intact: bool
    events: int
    streams: int
    broken: list[BrokenLinkOut]
    """Broken links in the clinics the token covers (every clinic for an admin)."""
    broken_elsewhere: int
    """Broken links in other clinics' streams: counted, not shown."""
    checkpoint_size: int | None = None
    """Tree size of the newest signed checkpoint the log was checked against."""
    tree: list[TreeFindingOut] = []
    """What disagrees with that checkpoint or with the stored Merkle tree (whole log)."""


class CheckpointOut(_Out):
    size: int
    """Entries of the log the checkpoint covers."""
    root_hash: str
    """Base64 RFC 6962 root of the Merkle tree of those entries."""
    note: str
    """The C2SP tlog-checkpoint signed note, as any note verifier or witness reads it."""
    created_at: datetime


class InclusionProofOut(_Out):
    event_id: str
    leaf_index: int
    """The event's ordinal in the log (0-based), its leaf in the tree."""
    tree_size: int
    leaf_hash: str
    """Base64 SHA-256(0x00 || record bytes) of the event's log record."""
    hashes: list[str]
    """The RFC 9162 audit path, base64, from the leaf up."""
    checkpoint: str
    """The signed checkpoint of the tree of ``tree_size`` entries the path leads to."""


class ConsistencyProofOut(_Out):
    from_size: int
    to_size: int
    hashes: list[str]
    """The RFC 9162 consistency proof, base64."""
    from_checkpoint: str | None
    """The signed checkpoint of ``from_size`` entries, if one was written."""
    to_checkpoint: str | None
    """The signed checkpoint of ``to_size`` entries, if one was written."""


class _Detail(_Out):
    detail: str


_DESCRIPTIONS = {
    401: "Missing, unknown or revoked bearer token.",
    403: "The token's role or clinics do not allow this; says nothing about existence.",
    404: "No such session (admin tokens only; others get 403).",
    409: "The resource is not in a state that allows this yet.",
    410: "The resource is gone.",
    413: "The body is larger than 16 MiB.",
    415: "The body is not application/json.",
    422: "The request is invalid; every problem is listed.",
    429: "The token has spent its requests for now. Retry after the Retry-After seconds.",
    503: "The broker did not acknowledge in time, or the database is unreachable; nothing "
    "is accepted or shown. Retry after the Retry-After seconds.",
}


NO_SUCH_CLINIC: Final = {
    404: "No clinic can have this id (admin tokens only; others get 403, as for another clinic)."
}


def error_responses(
    *codes: int, descriptions: dict[int, str] | None = None
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI descriptions of the error answers a route can give; ``descriptions``
    replaces the general wording of a code where a route means something else by it."""
    responses: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        model: type[BaseModel] = ValidationProblems if code == 422 else _Detail
        description = (descriptions or {}).get(code, _DESCRIPTIONS[code])
        responses[code] = {"model": model, "description": description}
        if code in (429, 503):
            responses[code]["headers"] = {
                "Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}
            }
    return responses
