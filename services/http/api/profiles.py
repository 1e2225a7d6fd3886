"""``POST /v1/clinics/{clinic_id}/profiles/{protocol}``: an admin changes a clinic's
thresholds, on the record, as a ``profile.changed`` published through the broker."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, WithJsonSchema

from events import EventRejected, Identifier, Protocol, Text
from services.auth import Role
from services.http.api.guards import not_permitted
from services.http.api.models import Accepted, error_responses
from services.http.api.params import WrittenClinicIdPath
from services.http.api.problems import InvalidRequest, Problem
from services.http.api.routing import ApiRoute
from services.http.availability import BrokerTimeout, acknowledged
from services.http.deps import Context, CurrentPrincipal
from services.profiles import ProfileConflict, profile_changed

__all__ = ["router"]

router = APIRouter(route_class=ApiRoute, tags=["profiles"])

_UNACKNOWLEDGED = "the event broker did not acknowledge the change, so it is not accepted; retry"


# Wrapped: a bare $ref here is resolved by pydantic, which does not know the component.
_SETTINGS_SCHEMA: Final = {"allOf": [{"$ref": "#/components/schemas/ProfileSettings"}]}
"""The contract's schema, which also says that a change names at least one setting."""


class ProfileChange(BaseModel):
    """The settings that change, who decided and why; it takes effect when accepted."""

    model_config = ConfigDict(extra="forbid")

    # Documented as the contract's fields (profile.changed's payload), which is what
    # ``profile_changed`` checks them against; read loosely here so that its problems are
    # answered in the contract's words.
    settings: Annotated[
        dict[str, Any],
        WithJsonSchema(_SETTINGS_SCHEMA),
    ] = Field(
        description="Setting name -> new value (docs/COMPLIANCE.md names every setting); "
        "at least one."
    )
    author: Annotated[str, WithJsonSchema(TypeAdapter(Identifier).json_schema())] = Field(
        description="The staff member who decided the change (1-64 characters, not blank, "
        "no control characters)."
    )
    reason: Annotated[str, WithJsonSchema(TypeAdapter(Text).json_schema())] = Field(
        description="Why the thresholds change (1-1000 characters, not blank)."
    )


@router.post(
    "/clinics/{clinic_id}/profiles/{protocol}",
    summary="Change a clinic's thresholds of one protocol (admin only)",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=Accepted,
    responses=error_responses(
        401,
        403,
        409,
        422,
        503,
        descriptions={
            409: "The change is coherent in itself, but not with the settings in force "
            "(e.g. a window's end before the start in force); `detail` names both. Send "
            "the settings it depends on together."
        },
    ),
)
async def change_profile(
    clinic_id: WrittenClinicIdPath,
    protocol: Protocol,
    change: ProfileChange,
    principal: CurrentPrincipal,
    context: Context,
    broker_wait: BrokerTimeout,
) -> Accepted:
    """Validate the settings against the profile in force and publish a `profile.changed`;
    the next profile version is in force from now. 422 names each setting at fault; 409 a
    change that only the settings in force make incoherent."""
    if principal.role is not Role.ADMIN:
        raise not_permitted("only admin tokens may change a clinic's thresholds")
    now: datetime = context.clock.now()
    history = await context.queries.profile_history([clinic_id])
    try:
        event = profile_changed(
            clinic_id=clinic_id,
            protocol=protocol,
            current=history.of(clinic_id, protocol),
            settings=change.settings,
            author=change.author,
            reason=change.reason,
            occurred_at=now,
        )
    except EventRejected as rejected:
        raise InvalidRequest(
            [
                Problem(index=None, path=e.path.removeprefix("payload."), message=e.message)
                for e in rejected.errors
            ]
        ) from None
    except ProfileConflict as conflict:
        raise HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(conflict)) from None
    except ValueError as invalid:
        # load_profile's message names the setting first: "...: <setting>: <why>".
        raise InvalidRequest.about("settings", str(invalid)) from None
    await acknowledged(
        context.publisher.publish_many([event]), within=broker_wait, refusal=_UNACKNOWLEDGED
    )
    return Accepted(accepted=[str(event.event_id)])
