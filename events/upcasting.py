"""Migrating documents published under an older schema version to the current one.

An upcaster is registered under (event_type, from_version) and turns a document of that
version into one of from_version + 1; `upcast` chains them up to the current version.
Every event type is at version 1 but `access.recorded`, at 3: version 2 added the channel
`cli` and version 3 clinic-level reads; its older documents are upcast by
`events.access.upcast_access_recorded_v1` and `upcast_access_recorded_v2`.
"""

import copy
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final, TypeAlias, get_args

from events.access import upcast_access_recorded_v1, upcast_access_recorded_v2
from events.catalogue import EVENT_TYPES
from events.errors import ROOT_PATH, EventRejected, FieldError, RejectionReason

__all__ = ["CURRENT_SCHEMA_VERSION", "UPCASTERS", "Upcaster", "supported_versions", "upcast"]

Upcaster: TypeAlias = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns a document of one schema version into a document of the next version."""

UPCASTERS: Mapping[tuple[str, int], Upcaster] = MappingProxyType(
    {
        ("access.recorded", 1): upcast_access_recorded_v1,
        ("access.recorded", 2): upcast_access_recorded_v2,
    }
)
"""(event_type, from_version) -> upcaster to from_version + 1."""


def _declared_version(event_class: type[Any]) -> int:
    (version,) = get_args(event_class.model_fields["schema_version"].annotation)
    return int(version)


CURRENT_SCHEMA_VERSION: Final[Mapping[str, int]] = MappingProxyType(
    {event_type: _declared_version(cls) for event_type, cls in EVENT_TYPES.items()}
)
"""event_type -> the schema version its model validates (taken from the model itself)."""


def supported_versions(event_type: str) -> tuple[int, ...]:
    """The versions of `event_type` that can be accepted: the current one and every version
    from which an unbroken chain of upcasters leads to it, in ascending order."""
    current = CURRENT_SCHEMA_VERSION[event_type]
    versions = [current]
    while (event_type, versions[0] - 1) in UPCASTERS:
        versions.insert(0, versions[0] - 1)
    return tuple(versions)


def upcast(document: dict[str, Any]) -> dict[str, Any]:
    """Check the document's `event_type` and `schema_version` and migrate it to the current
    version; the input is left unchanged (a current document is returned as it is).

    Raises `EventRejected` with reason `unknown_event_type` or `unsupported_schema_version`,
    or `schema_violation` when a document is too malformed for an upcaster to migrate.
    """
    event_type = _known_event_type(document)
    version = _supported_version(document, event_type=event_type)
    current = CURRENT_SCHEMA_VERSION[event_type]
    if version == current:
        # Nearly every document is current; copying it would cost more than validating it.
        return document
    migrated = copy.deepcopy(document)
    while version < current:
        try:
            migrated = UPCASTERS[(event_type, version)](migrated)
        except (LookupError, TypeError, ValueError, AttributeError) as exc:
            # An upcaster meets documents of the old schema that were never validated; one
            # too malformed to migrate is the publisher's error, not a crash of the service.
            raise _rejected(
                reason=RejectionReason.SCHEMA_VIOLATION,
                path=ROOT_PATH,
                message=f"Cannot migrate schema version {version} to {version + 1}: {exc!r}",
            ) from None
        version += 1
        # The registry key, not the upcaster, defines the step, so the loop always advances.
        migrated["schema_version"] = version
    return migrated


def _known_event_type(document: Mapping[str, Any]) -> str:
    if "event_type" not in document:
        raise _rejected(
            reason=RejectionReason.UNKNOWN_EVENT_TYPE, path="event_type", message="Field required"
        )
    event_type = document["event_type"]
    if not isinstance(event_type, str) or event_type not in CURRENT_SCHEMA_VERSION:
        raise _rejected(
            reason=RejectionReason.UNKNOWN_EVENT_TYPE,
            path="event_type",
            message="Unknown event type; expected one of: " + ", ".join(CURRENT_SCHEMA_VERSION),
        )
    return event_type


def _supported_version(document: Mapping[str, Any], *, event_type: str) -> int:
    supported = supported_versions(event_type)
    listed = ", ".join(str(v) for v in supported)
    hint = f"the supported {'version is' if len(supported) == 1 else 'versions are'} {listed}"
    if "schema_version" not in document:
        problem = "Field required"
    else:
        version = document["schema_version"]
        # bool is an int subclass in Python, but JSON true is not a version number.
        if isinstance(version, bool) or not isinstance(version, int):
            problem = "Input should be an integer"
        elif version in supported:
            return version
        elif abs(version) < 10**9:
            problem = f"Schema version {version} of {event_type} is not supported"
        else:
            problem = f"Schema version of {event_type} is out of range"
    raise _rejected(
        reason=RejectionReason.UNSUPPORTED_SCHEMA_VERSION,
        path="schema_version",
        message=f"{problem}; {hint}",
    )


def _rejected(*, reason: RejectionReason, path: str, message: str) -> EventRejected:
    return EventRejected(reason=reason, errors=[FieldError(path=path, message=message)])
