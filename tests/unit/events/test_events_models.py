"""The style rules of the contract's models, enforced over every model there is."""

import ast
import importlib
import inspect
import itertools
import json
import pkgutil
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any, get_args

import pytest
from pydantic import BaseModel, ValidationError

import events
from events import EVENT_TYPES, ActorRole, DoseAdministered, parse_event
from events.examples import EXAMPLES

_TOOLING_MODULES = {"events.schema_export", "events.reference_doc"}


def _modules() -> list[ModuleType]:
    return [
        importlib.import_module(info.name)
        for info in pkgutil.iter_modules(events.__path__, prefix="events.")
    ]


def _models_reachable_from(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        for field in annotation.model_fields.values():
            yield from _models_reachable_from(field.annotation)
    for argument in get_args(annotation):
        yield from _models_reachable_from(argument)


_ALL_MODELS = sorted(
    {model for cls in EVENT_TYPES.values() for model in _models_reachable_from(cls)},
    key=lambda model: model.__name__,
)


def test_the_catalogue_reaches_every_payload_and_the_actor() -> None:
    names = {model.__name__ for model in _ALL_MODELS}

    assert {"Actor", "DoseAdministeredPayload", "EmptyPayload", "RecordAmendedPayload"} <= names
    # events, distinct payloads (two share EmptyPayload), actor, a profile change's settings
    assert len(names) == 16 + 15 + 1 + 1


@pytest.mark.parametrize("model", _ALL_MODELS, ids=lambda model: model.__name__)
def test_every_field_of_every_model_has_a_description(model: type[BaseModel]) -> None:
    undocumented = [
        name for name, field in model.model_fields.items() if not (field.description or "").strip()
    ]

    assert undocumented == []


@pytest.mark.parametrize("model", _ALL_MODELS, ids=lambda model: model.__name__)
def test_every_field_docstring_repeats_its_description(model: type[BaseModel]) -> None:
    for cls in model.__mro__:
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        for name, docstring in _attribute_docstrings(cls).items():
            assert _words(docstring) == _words(model.model_fields[name].description or ""), name
        declared = set(cls.__annotations__) - {"model_config"}
        assert {name for name in declared if not name.startswith("_")} <= set(
            _attribute_docstrings(cls)
        ), f"{cls.__name__} has a field without an attribute docstring"


def _attribute_docstrings(cls: type) -> dict[str, str]:
    (class_node,) = ast.parse(inspect.getsource(cls)).body
    assert isinstance(class_node, ast.ClassDef)
    found: dict[str, str] = {}
    body = class_node.body
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            found[statement.target.id] = following.value.value
    return found


def _words(text: str) -> list[str]:
    return text.split()


@pytest.mark.parametrize("model", _ALL_MODELS, ids=lambda model: model.__name__)
def test_every_model_is_frozen_closed_strict_and_documented(model: type[BaseModel]) -> None:
    config = model.model_config

    assert (config.get("frozen"), config.get("extra"), config.get("strict")) == (
        True,
        "forbid",
        True,
    )
    assert config.get("use_attribute_docstrings") is True
    assert (model.__doc__ or "").strip()


@pytest.mark.parametrize(("event_type", "event_class"), list(EVENT_TYPES.items()))
def test_every_event_class_is_named_after_its_past_tense_event_type(
    event_type: str, event_class: type[BaseModel]
) -> None:
    words = re.split(r"[._]", event_type)

    assert event_class.__name__ == "".join(word.capitalize() for word in words)
    assert event_class.model_fields["schema_version"].annotation is not int
    assert get_args(event_class.model_fields["schema_version"].annotation) == (
        (3,) if event_type == "access.recorded" else (1,)
    )


def test_an_event_cannot_be_changed_after_parsing() -> None:
    event = parse_event(json.dumps(EXAMPLES["dose.administered"]).encode("utf-8"))
    assert isinstance(event, DoseAdministered)

    with pytest.raises(ValidationError, match="frozen"):
        event.clinic_id = "another-clinic"  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        event.payload.dose_mg = 3500  # type: ignore[misc]
    with pytest.raises(ValidationError, match="frozen"):
        event.actor.role = ActorRole.SYSTEM  # type: ignore[misc]


@pytest.mark.parametrize(
    "module", [m for m in _modules() if m.__name__ not in _TOOLING_MODULES], ids=str
)
def test_every_public_name_of_a_module_is_re_exported_by_the_package(module: ModuleType) -> None:
    public = set(getattr(module, "__all__", ()))

    assert public, f"{module.__name__} declares no __all__"
    assert public <= set(events.__all__)
    assert all(getattr(events, name) is getattr(module, name) for name in public)


def test_the_package_exports_only_names_it_has() -> None:
    assert all(hasattr(events, name) for name in events.__all__)
