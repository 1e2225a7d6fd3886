"""Bodies only the HTTP API answers (acknowledgements, problems, the log's proofs) and
its error answers; the read side's bodies are ``services.bodies``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import BaseModel

from services.bodies.common import Body

__all__ = [
    "NO_SUCH_CLINIC",
    "Accepted",
    "BrokenLinkOut",
    "CheckpointOut",
    "ConsistencyProofOut",
    "InclusionProofOut",
    "LogVerification",
    "ProblemOut",
    "TreeFindingOut",
    "ValidationProblems",
    "error_responses",
]


class Accepted(Body):
    accepted: list[str]
    """The event ids the broker acknowledged, in request order, each once."""


class ProblemOut(Body):
    index: int | None
    """The event's position in the request; null when not about one event."""
    path: str
    message: str


class ValidationProblems(Body):
    errors: list[ProblemOut]


class BrokenLinkOut(Body):
    stream_id: str
    sequence: int
    position: int | None
    event_id: str | None
    problem: str
    detail: str


class TreeFindingOut(Body):
    problem: str
    """truncated, rewritten, untrusted or tree_mismatch (docs/LOG-FORMAT.md)."""
    detail: str


class LogVerification(Body):
    intact: bool
    events: int
    streams: int
    broken: list[BrokenLinkOut]
    """Broken links in the clinics the token covers (every clinic for an admin)."""
    broken_elsewhere: int
    """Broken links in other clinics' streams: counted, not shown."""
    checkpoint_size: int | None = None
    """Tree size of the newest signed checkpoint the log was checked against."""
    tree: list[TreeFindingOut] = []  # noqa: RUF012 - pydantic copies a field's default
    """What disagrees with that checkpoint or with the stored Merkle tree (whole log)."""


class CheckpointOut(Body):
    size: int
    """Entries of the log the checkpoint covers."""
    root_hash: str
    """Base64 RFC 6962 root of the Merkle tree of those entries."""
    note: str
    """The C2SP tlog-checkpoint signed note, as any note verifier or witness reads it."""
    created_at: datetime


class InclusionProofOut(Body):
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


class ConsistencyProofOut(Body):
    from_size: int
    to_size: int
    hashes: list[str]
    """The RFC 9162 consistency proof, base64."""
    from_checkpoint: str | None
    """The signed checkpoint of ``from_size`` entries, if one was written."""
    to_checkpoint: str | None
    """The signed checkpoint of ``to_size`` entries, if one was written."""


class _Detail(Body):
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
