"""``POST /v1/events``: clinic systems publish events over HTTP instead of Kafka."""

from __future__ import annotations

from typing import Any, Final

from fastapi import APIRouter, HTTPException, Request, status

from events import SESSION_EVENT_ADAPTER, ProfileChanged
from projections.compliance.catalogue import RULE_CATALOGUE
from services.auth import Role
from services.http.api.guards import not_permitted
from services.http.api.intake import MAX_EVENTS, read_events
from services.http.api.models import Accepted, error_responses
from services.http.api.problems import InvalidRequest
from services.http.api.routing import ApiRoute
from services.http.availability import BrokerTimeout, acknowledged
from services.http.context import HttpContext
from services.http.deps import Context, CurrentPrincipal
from services.profiles import ProfileConflict, check_changes

__all__ = ["EVENT_SCHEMAS", "MAX_BODY_BYTES", "router"]

MAX_BODY_BYTES: Final = 16 * 1024 * 1024
"""A thousand ordinary events take about 1 MiB; this bounds what one request may buffer."""

_UNACKNOWLEDGED = (
    "the event broker did not acknowledge the events, so none is accepted; retry later "
    "with the same event ids (an event that did arrive is recorded once)"
)

_REF: Final = "#/components/schemas/{model}"
_REFUSED: Final = ("AccessRecorded", "AccessRecordedPayload")
"""kapaudit writes access.recorded itself, and refuses it from publishers (``intake``)."""


def _published_event_schemas() -> dict[str, Any]:
    """The contract's JSON Schemas (``events/schemas/``), as OpenAPI components: every
    event type a publisher may send, as ``PublishedEvent``, discriminated by event_type."""
    union = SESSION_EVENT_ADAPTER.json_schema(ref_template=_REF)
    components: dict[str, Any] = union.pop("$defs")
    for name in _REFUSED:
        del components[name]
    refused = _REF.format(model=_REFUSED[0])
    union["oneOf"] = [choice for choice in union["oneOf"] if choice["$ref"] != refused]
    union["discriminator"]["mapping"] = {
        event_type: ref
        for event_type, ref in union["discriminator"]["mapping"].items()
        if ref != refused
    }
    components["ProfileSettings"] = _with_the_rule_book(components["ProfileSettings"])
    union["title"] = "PublishedEvent"
    union["description"] = (
        "One event of the contract (docs/EVENTS.md, events/schemas/), discriminated by "
        "`event_type`; any type but `access.recorded`, which kapaudit writes itself. Rules "
        "across fields are in the schemas where JSON Schema can state them (an IV dose "
        "needs `infusion_minutes`), else in the descriptions (systolic above diastolic)."
    )
    return {**components, "PublishedEvent": union}


def _with_the_rule_book(settings: dict[str, Any]) -> dict[str, Any]:
    # The contract takes any rule ids and switches; kapaudit's rule book (checked before a
    # change is published) knows which exist, and that discharge needs one of two checks.
    rules = {
        "type": "array",
        "minItems": 1,
        "uniqueItems": True,
        "items": {"enum": [*RULE_CATALOGUE]},
    }
    settings = {**settings, "properties": {**settings["properties"]}}
    settings["properties"]["rules"] = {
        **settings["properties"]["rules"],
        "anyOf": [rules, {"type": "null"}],
    }
    both_off = {
        "required": ["discharge_requires_escort", "discharge_requires_driving_advice"],
        "properties": {
            "discharge_requires_escort": {"const": False},
            "discharge_requires_driving_advice": {"const": False},
        },
    }
    return {**settings, "not": both_off}


EVENT_SCHEMAS: Final = _published_event_schemas()
"""Component name -> schema, for the OpenAPI document's ``components.schemas``."""

_EVENT = {"$ref": _REF.format(model="PublishedEvent")}

_BODY_SCHEMA = {
    "description": 'One event, or a batch `{"events": [...]}` of 1 to 1000 events.',
    "anyOf": [
        _EVENT,
        {
            "type": "object",
            "title": "A batch",
            "required": ["events"],
            "properties": {
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_EVENTS,
                    "items": _EVENT,
                }
            },
            "additionalProperties": False,
        },
    ],
}

router = APIRouter(route_class=ApiRoute, tags=["publishing"])


@router.post(
    "/events",
    summary="Publish events; answered once the broker has acknowledged every one",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=error_responses(
        401,
        403,
        409,
        413,
        415,
        422,
        503,
        descriptions={
            409: "A `profile.changed` is coherent in itself, but not with the clinic's "
            "profile in force, or takes effect before its latest version; nothing is "
            "published."
        },
    ),
    openapi_extra={
        "requestBody": {"required": True, "content": {"application/json": {"schema": _BODY_SCHEMA}}}
    },
)
async def publish_events(
    request: Request, principal: CurrentPrincipal, context: Context, broker_wait: BrokerTimeout
) -> Accepted:
    """Validate every event against the contract, then publish them all, or none.

    202 means the broker holds the events; the recorder stores them in the log shortly
    after. Invalid events: 422 with one error per field, and nothing is published.
    """
    if principal.role not in (Role.PUBLISHER, Role.ADMIN):
        raise not_permitted("only publisher and admin tokens may publish")
    _require_json(request)
    events = read_events(await _body(request))
    if principal.role is not Role.ADMIN and any(isinstance(e, ProfileChanged) for e in events):
        # Thresholds decide every verdict; a clinic system's token must not move them.
        raise not_permitted("only admin tokens may publish profile.changed")
    refused = sorted({e.clinic_id for e in events if not principal.may_publish(e.clinic_id)})
    if refused:
        raise not_permitted(f"this token may not publish events of clinic {refused[0]!r}")
    await _check_profile_changes([e for e in events if isinstance(e, ProfileChanged)], context)
    await acknowledged(
        context.publisher.publish_many(events), within=broker_wait, refusal=_UNACKNOWLEDGED
    )
    return Accepted(accepted=[str(event.event_id) for event in events])


async def _check_profile_changes(changes: list[ProfileChanged], context: HttpContext) -> None:
    # As POST /v1/clinics/{id}/profiles/{protocol} checks them: accepting a change here that
    # the fold then refuses would put a fault in the log instead of an answer to the client.
    if not changes:
        return
    history = await context.queries.profile_history({event.clinic_id for event in changes})
    try:
        check_changes(changes, history)
    except ProfileConflict as conflict:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(conflict)) from None
    except ValueError as invalid:
        raise InvalidRequest.about("payload.settings", str(invalid)) from None


def _require_json(request: Request) -> None:
    # JSON only: a cross-site HTML form cannot send it, whatever credentials ride along.
    media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        raise HTTPException(
            status_code=status.HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="send the events as application/json",
        )


async def _body(request: Request) -> bytes:
    too_large = HTTPException(
        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
        detail=f"the body may be at most {MAX_BODY_BYTES} bytes; send the events in parts",
    )
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise too_large
    return bytes(body)
