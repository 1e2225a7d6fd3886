"""Cross-field rule violations that name the fields they concern.

A model validator sees the whole payload, so pydantic reports its errors at the payload's
location. The violation carries the offending field names in its context instead, and
`parse_event` appends them to the location so publishers see `payload.infusion_minutes`
rather than just `payload`.
"""

from typing import Final

from pydantic_core import PydanticCustomError

__all__ = ["RULE_FIELDS_CONTEXT_KEY", "rule_violation"]

RULE_FIELDS_CONTEXT_KEY: Final = "kapaudit_fields"
"""Context key under which a rule violation lists the field names it concerns."""


def rule_violation(*, message: str, fields: tuple[str, ...] = ()) -> PydanticCustomError:
    """Build the error a model validator raises.

    `fields` are dotted paths relative to the validated object, one error reported per path;
    with none, the error concerns the whole object.
    """
    # Braces would be read as pydantic message-template placeholders.
    template = message.replace("{", "(").replace("}", ")")
    return PydanticCustomError("rule_violation", template, {RULE_FIELDS_CONTEXT_KEY: fields})
