"""A protocol's compliance settings: which rules run and every threshold they use.

The shipped defaults live in ``profiles/<protocol>.toml``, one commented file per
protocol; a clinic changes a setting by passing overrides to ``load_profile``.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    model_validator,
)

from events import Protocol, Severity
from projections.compliance.catalogue import RULE_CATALOGUE

__all__ = [
    "SETTING_NAMES",
    "IncoherentProfile",
    "Profile",
    "check_setting_names",
    "load_profile",
    "shipped_sources",
]

# Strict ints: a threshold of "15" or 15.5 from a clinic's settings is a mistake to report,
# not a value to coerce.
Minutes = Annotated[StrictInt, Field(gt=0)]
Days = Annotated[StrictInt, Field(gt=0)]
Hours = Annotated[StrictInt, Field(gt=0)]
MmHg = Annotated[StrictInt, Field(gt=0, le=300)]


class IncoherentProfile(ValueError):  # noqa: N818 - reads as the outcome, like EventRejected
    """Settings that are each valid but do not make a profile together."""

    def __init__(self, message: str, *, settings: tuple[str, ...]) -> None:
        super().__init__(message)
        self.settings = settings
        """The settings the rule broken spans: changing any of them could mend it."""


class _Incoherent(ValueError):  # noqa: N818 - as IncoherentProfile
    # Raised inside the validator, where pydantic keeps it as the error's context.
    def __init__(self, message: str, *settings: str) -> None:
        super().__init__(message)
        self.settings = settings


class Profile(BaseModel):
    """The settings one protocol's sessions are judged by (see ``profiles/*.toml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: Protocol
    version: Annotated[StrictInt, Field(ge=0)] = 0
    """The clinic's profile version: 0 for the shipped defaults, N after the clinic's Nth
    ``profile.changed`` of this protocol. Not a setting: the log assigns it."""
    rules: tuple[str, ...] = Field(min_length=1)
    """Enabled rule ids; results come out in the catalogue's order."""

    baseline_window_minutes: Minutes
    """A baseline reading counts if taken at most this long before the first dose."""
    baseline_requires_spo2: StrictBool
    """Whether the baseline must include pulse oximetry as well as blood pressure."""
    baseline_max_systolic_mmhg: MmHg
    baseline_max_diastolic_mmhg: MmHg
    """The last blood pressure before a dose must be at most systolic/diastolic."""
    post_dose_bp_from_minutes: Annotated[StrictInt, Field(ge=0)]
    post_dose_bp_until_minutes: Minutes
    """The "about 40 minutes" blood pressure must fall in this window after the first dose."""
    monitoring_max_gap_minutes: Minutes
    """Longest allowed time without a monitoring check, from the first dose to discharge."""
    observation_minimum_minutes: Minutes
    """Shortest allowed time from the end of the last dose to discharge."""
    discharge_vitals_window_minutes: Minutes
    """A blood pressure must be taken at most this long before discharge."""
    discharge_requires_escort: StrictBool
    discharge_requires_driving_advice: StrictBool
    adverse_event_min_severity: Severity
    """Adverse events this severe or worse need a prompt monitoring check."""
    adverse_event_check_window_minutes: Minutes
    integration_note_window_days: Days
    """An integration note is due within this many days of the session's end."""
    rems_form_window_days: Days
    """The SPRAVATO Patient Monitoring Form is due within this many days."""
    documentation_max_delay_hours: Hours
    """An event must be recorded at most this long after it occurred."""

    @model_validator(mode="after")
    def _is_coherent(self) -> Self:
        unknown = [rule_id for rule_id in self.rules if rule_id not in RULE_CATALOGUE]
        if unknown:
            raise _Incoherent(f"rules: unknown rule id {', '.join(map(repr, unknown))}", "rules")
        repeated = sorted({rule_id for rule_id in self.rules if self.rules.count(rule_id) > 1})
        if repeated:
            raise _Incoherent(
                f"rules: rule id listed twice: {', '.join(map(repr, repeated))}", "rules"
            )
        if self.post_dose_bp_from_minutes >= self.post_dose_bp_until_minutes:
            raise _Incoherent(
                "post_dose_bp_from_minutes must be less than post_dose_bp_until_minutes",
                "post_dose_bp_from_minutes",
                "post_dose_bp_until_minutes",
            )
        if not (self.discharge_requires_escort or self.discharge_requires_driving_advice):
            # Both false would make discharge.escort_or_no_driving pass vacuously; a clinic
            # that does not want the check should remove the rule from `rules` instead.
            raise _Incoherent(
                "discharge_requires_escort and discharge_requires_driving_advice are both "
                "false; remove discharge.escort_or_no_driving from rules instead",
                "discharge_requires_escort",
                "discharge_requires_driving_advice",
            )
        return self

    @property
    def enabled(self) -> tuple[str, ...]:
        """The enabled rule ids in the catalogue's (evaluation) order."""
        return tuple(rule_id for rule_id in RULE_CATALOGUE if rule_id in self.rules)


def load_profile(
    protocol: Protocol, *, overrides: Mapping[str, Any] | None = None, version: int = 0
) -> Profile:
    """The shipped profile of ``protocol``, with a clinic's ``overrides`` replacing fields,
    labelled profile ``version``.

    Raises ValueError naming the key for an unknown override, and naming the field for an
    invalid value (in the shipped file or in the overrides); IncoherentProfile, naming
    the settings, for valid values that break a rule across settings.
    """
    protocol = Protocol(protocol)
    settings = dict(_shipped_settings(protocol))
    for key in overrides or {}:
        _check_overridable(key)
    settings.update(overrides or {})
    try:
        return Profile.model_validate({**settings, "protocol": protocol, "version": version})
    except ValidationError as invalid:
        message = f"invalid {protocol} profile: {_describe(invalid)}"
        spanned = _incoherence(invalid)
        if spanned is not None:
            raise IncoherentProfile(message, settings=spanned) from None
        raise ValueError(message) from None


def _incoherence(invalid: ValidationError) -> tuple[str, ...] | None:
    """The settings of the one cross-setting rule ``invalid`` reports, if that is all it
    reports (a field's own problem is found first and stops the validator)."""
    errors = invalid.errors()
    cause = errors[0].get("ctx", {}).get("error") if len(errors) == 1 else None
    return cause.settings if isinstance(cause, _Incoherent) else None


@functools.cache
def _shipped_settings(protocol: Protocol) -> Mapping[str, Any]:
    resource = resources.files("projections.compliance") / "profiles" / f"{protocol}.toml"
    with resource.open("rb") as file:
        return tomllib.load(file)


SETTING_NAMES: tuple[str, ...] = tuple(
    name for name in Profile.model_fields if name not in ("protocol", "version")
)
"""The settings a clinic may change, in the profile's order."""


@functools.cache
def shipped_sources(protocol: Protocol) -> Mapping[str, str]:
    """Each shipped setting's source: the comment lines just above it in the shipped file
    (for ``rules``, the file's header naming the protocol's sources)."""
    resource = resources.files("projections.compliance") / "profiles" / f"{protocol}.toml"
    lines = resource.read_text(encoding="utf-8").splitlines()
    header = [line.lstrip("# ").strip() for line in _leading_comments(lines)]
    sources: dict[str, str] = {}
    comments: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped.startswith("#"):
            comments.append(stripped.lstrip("#").strip())
            continue
        key, equals, _ = stripped.partition("=")
        if equals and key.strip() in SETTING_NAMES:
            sources[key.strip()] = " ".join(comments)
        if not stripped.startswith(("]", '"')) or not stripped:
            comments = []
    # The header's "Sources:" sentence and what follows it covers the list of rules.
    sourced = " ".join(header)
    sources["rules"] = sourced[sourced.find("Sources:") :] if "Sources:" in sourced else ""
    return sources


def _leading_comments(lines: list[str]) -> list[str]:
    leading = []
    for line in lines:
        if not line.startswith("#"):
            break
        leading.append(line)
    return leading


def check_setting_names(names: Iterable[str]) -> None:
    """ValueError naming the first of ``names`` that is not a setting (with a suggestion)."""
    for name in names:
        _check_overridable(name)


def _check_overridable(key: str) -> None:
    if key in ("protocol", "version"):
        raise ValueError(f"{key} cannot be overridden: it is not a setting")
    settable = list(SETTING_NAMES)
    if key not in settable:
        close = difflib.get_close_matches(str(key), settable, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown profile setting {key!r}{hint}")


def _describe(invalid: ValidationError) -> str:
    problems = []
    for error in invalid.errors():
        where = ".".join(str(part) for part in error["loc"]) or "profile"
        message = error["msg"].removeprefix("Value error, ")
        if error["loc"]:
            problems.append(f"{where}: {message} (got {error['input']!r})")
        else:
            problems.append(message)
    return "; ".join(problems)
