"""The base model and the constrained string types shared by every event model."""

import re
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Annotated, Final

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError

__all__ = [
    "READ_BACK",
    "STORED_KEY",
    "WHOLE",
    "ClinicId",
    "ContractModel",
    "FieldName",
    "Identifier",
    "Instant",
    "Label",
    "Sha256Hex",
    "Text",
]


class ContractModel(BaseModel):
    """Base of every event and payload model: immutable, closed to unknown fields, and
    strict (no type coercion); field docstrings become the JSON Schema descriptions."""

    # Spelled out here rather than shared as a constant so the pydantic mypy plugin sees
    # frozen=True and flags assignments to fields.
    model_config = ConfigDict(
        frozen=True, extra="forbid", strict=True, use_attribute_docstrings=True
    )


@dataclass(frozen=True, slots=True)
class _Stated:
    """States a validator's rule in the JSON Schema as a ``pattern``, so that a publisher's
    validator refuses what the validator does."""

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


_CONTROL: Final = r"\x00-\x1f\x7f"
"""The control characters, as a regular-expression class body."""
_SPACE: Final = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Every character ``str.isspace`` calls white space (what ``strip`` removes), spelled out
because JSON Schema's ``\\s`` (ECMA-262) is not Python's."""

_PRINTED: Final = f"^[^{_CONTROL}]*[^{_CONTROL}{_SPACE}][^{_CONTROL}]*$"
"""Not blank, no control character (Identifier, Label)."""
_PRINTED_NO_SLASH: Final = f"^[^{_CONTROL}/]*[^{_CONTROL}{_SPACE}/][^{_CONTROL}/]*$"
"""Not blank, no control character, no '/' (ClinicId)."""
_SOME_INK: Final = f"[^{_SPACE}]"
"""Not blank (Text); JSON Schema patterns are not anchored."""
_LOCAL_AFTER_YEAR: Final = (
    r"-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?"
)
_RFC3339_AFTER_YEAR: Final = _LOCAL_AFTER_YEAR + r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
_RFC3339: Final = re.compile(r"[0-9]{4}" + _RFC3339_AFTER_YEAR)
_WITHOUT_OFFSET: Final = re.compile(r"[0-9]{4}" + _LOCAL_AFTER_YEAR)
_PLAUSIBLE_INSTANT: Final = "^(19[7-9][0-9]|2[0-9]{3})" + _RFC3339_AFTER_YEAR
"""An RFC 3339 date-time written in the years 1970 to 2999 (Instant)."""


def _not_blank(value: str) -> str:
    # A whitespace-only id or reason satisfies min_length but identifies nothing.
    if not value.strip():
        raise PydanticCustomError("string_blank", "String should not be blank")
    return value


# One regular-expression scan in C: a character-by-character loop in Python cost more than
# the rest of validating an event (it runs on every identifier of every event read back).
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    # Identifiers become database columns and Kafka keys; a NUL byte cannot be stored in a
    # PostgreSQL text column at all, and other control characters only hide in displays.
    if _CONTROL_CHARACTER.search(value):
        raise PydanticCustomError(
            "string_control_character", "String should not contain control characters"
        )
    return value


def _no_slash(value: str) -> str:
    # The clinic id is the first segment of a hash-chain stream id ("<clinic>/session/<id>");
    # a slash in it would let two different streams render to the same id.
    if "/" in value:
        raise PydanticCustomError("string_slash", "String should not contain '/'")
    return value


Identifier = Annotated[
    str,
    StringConstraints(min_length=1, max_length=64),
    AfterValidator(_not_blank),
    AfterValidator(_no_control_characters),
    _Stated(_PRINTED),
]
"""An opaque identifier chosen by the clinic's systems (1-64 characters, not blank, no
control characters)."""

ClinicId = Annotated[Identifier, AfterValidator(_no_slash), _Stated(_PRINTED_NO_SLASH)]
"""A clinic identifier: an `Identifier` without '/'."""

Label = Annotated[
    str,
    StringConstraints(min_length=1, max_length=128),
    AfterValidator(_not_blank),
    AfterValidator(_no_control_characters),
    _Stated(_PRINTED),
]
"""A short human-readable label (1-128 characters, not blank, no control characters)."""

Text = Annotated[
    str,
    StringConstraints(min_length=1, max_length=1000),
    AfterValidator(_not_blank),
    _Stated(_SOME_INK),
]
"""Free text (1-1000 characters, not blank); never a clinical note, which stays in the EHR."""


STORED_KEY: Final = "kapaudit_stored"
"""Validation-context key: the event is read back from the log (``READ_BACK``)."""
READ_BACK: Final = MappingProxyType({STORED_KEY: True})
"""The validation context of an event read back from the log: a timestamp inside a
correction is read as the contract read it when the event was recorded, so that no
tightening since makes a recorded event unreadable."""

_AS_FIRST_READ: Final = TypeAdapter(AwareDatetime)


def _rfc3339(value: object, info: ValidationInfo) -> object:
    # pydantic also reads "1700000000" (Unix seconds), "2026-11-24 09:00Z" and "+0530":
    # none of them is RFC 3339, which the contract and its JSON Schemas promise.
    # Parsed here once checked: after a before-validator, strict mode no longer reads text.
    if not isinstance(value, str):
        return value
    if info.context and info.context.get(STORED_KEY):
        return _AS_FIRST_READ.validate_python(value)
    if _WITHOUT_OFFSET.fullmatch(value):
        raise PydanticCustomError("timezone_aware", "Input should have timezone info")
    if not _RFC3339.fullmatch(value):
        raise PydanticCustomError(
            "datetime_syntax",
            "Timestamp should be RFC 3339, e.g. 2025-03-04T09:10:00-05:00 (seconds and a "
            "Z or +hh:mm offset included)",
        )
    try:
        return datetime.fromisoformat(value.upper())
    except ValueError as invalid:  # a day the month does not have, e.g. 2026-02-30
        raise PydanticCustomError(
            "datetime_from_date_parsing",
            "Input should be a valid datetime, {reason}",
            {"reason": str(invalid)},
        ) from None


def _plausible_instant(value: datetime) -> datetime:
    # Every instant is stored and hashed in UTC; a year-1 time with a +14:00 offset has no
    # UTC form at all and would stall the recorder, and no clinical record predates 1970.
    # The year is the one written (a pattern can state it), and from 1970 to 2999 every
    # offset still has a UTC form.
    if not 1970 <= value.year <= 2999:
        raise PydanticCustomError(
            "instant_out_of_range", "Timestamp should lie between the years 1970 and 2999"
        )
    return value


Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(_plausible_instant),
    _Stated(_PLAUSIBLE_INSTANT),
]
"""An RFC 3339 timestamp with a UTC offset, between the years 1970 and 2999."""

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
"""A SHA-256 digest as 64 lowercase hexadecimal characters."""


def _whole(value: object) -> object:
    # JSON has one number type, and to JSON Schema ("type": "integer") 120.0 is the integer
    # 120: so is it here, stored as 120. 120.5 and "120" stay errors.
    if type(value) is float and value.is_integer():
        return int(value)
    return value


WHOLE: Final = BeforeValidator(_whole)
"""Metadata for an ``int`` after its constraints (``Annotated[int, Field(ge=1), WHOLE]``):
the integer is written as one (``120``) or as a number with no fraction (``120.0``).
After them, so that the JSON Schema keeps the constraints as ``minimum``/``maximum``."""

FieldName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
"""A payload field name as it appears in the JSON (snake_case, at most 64 characters)."""
