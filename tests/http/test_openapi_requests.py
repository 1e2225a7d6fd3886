"""The OpenAPI document says what the server checks of a request, and checks it in order:
the token first, then the parameters and the body."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from events import EVENT_TYPES
from projections.compliance.catalogue import RULE_CATALOGUE
from tests.http.serving import Api
from tests.http.support import CLINIC

pytestmark = pytest.mark.memory_ports

BAD_REQUESTS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("GET", f"/v1/sessions?clinic_id={CLINIC}&to=", {}),
    ("GET", f"/v1/sessions?clinic_id={CLINIC}&limit=-1", {}),
    ("GET", "/v1/sessions", {}),
    ("GET", f"/v1/clinics/{CLINIC}/compliance-report?as_of=yesterday", {}),
    ("GET", f"/v1/clinics/{CLINIC}/access-report?outcome=maybe&from=x", {}),
    ("GET", f"/v1/clinics/{'c' * 65}/controlled-substances", {}),
    (
        "POST",
        "/v1/exports",
        {"content": b"{not json", "headers": {"content-type": "application/json"}},
    ),
    ("POST", "/v1/exports", {"json": {"clinic_id": CLINIC, "to": 5}}),
    (
        "POST",
        "/v1/exports",
        {"content": b"\x80abc", "headers": {"content-type": "application/json"}},
    ),
    ("POST", f"/v1/clinics/{CLINIC}/profiles/spravato-rems", {"content": b"["}),
    ("POST", f"/v1/clinics/{CLINIC}/profiles/no-such-protocol", {"json": {}}),
    ("POST", "/v1/events", {"json": {"events": [{}]}}),
)
"""Requests wrong in their parameters or body, each in its own way."""


@pytest.mark.parametrize(("method", "url", "sent"), BAD_REQUESTS)
async def test_a_request_without_a_token_is_unauthorized_whatever_else_is_wrong_with_it(
    api: Api, method: str, url: str, sent: dict[str, Any]
) -> None:
    response = await api.client.request(method, url, **sent)

    assert (response.status_code, response.headers.get("WWW-Authenticate")) == (401, "Bearer")
    assert response.json() == {"detail": "missing or invalid bearer token"}


@pytest.mark.parametrize(("method", "url", "sent"), BAD_REQUESTS)
async def test_the_same_requests_with_a_token_are_invalid(
    api: Api, method: str, url: str, sent: dict[str, Any]
) -> None:
    response = await api.client.request(
        method, url, **{**sent, "headers": {**sent.get("headers", {}), **api.auth("admin")}}
    )

    assert response.status_code == 422
    assert response.json()["errors"]


async def test_an_unreadable_body_is_an_invalid_request_located_at_its_root(api: Api) -> None:
    for content in (b"{not json", b"\xff\xfe", b"\x80abc"):
        response = await api.client.post(
            "/v1/exports",
            content=content,
            headers={"content-type": "application/json", **api.auth("admin")},
        )

        assert response.status_code == 422
        assert [problem["path"] for problem in response.json()["errors"]] == ["(root)"]


async def test_a_refused_method_is_answered_with_every_method_the_path_allows(api: Api) -> None:
    response = await api.client.request("OPTIONS", "/v1/exports", headers=api.auth("admin"))

    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


async def _document(api: Api) -> dict[str, Any]:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


async def test_the_published_events_body_references_every_event_type_a_publisher_may_send(
    api: Api,
) -> None:
    document = await _document(api)
    body = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]["application/json"]
    one, batch = body["schema"]["anyOf"]
    event = _resolve(document, one)
    mapping = event["discriminator"]["mapping"]

    assert batch["properties"]["events"]["items"] == one
    assert event["discriminator"]["propertyName"] == "event_type"
    # access.recorded is kapaudit's own record of reads, refused from publishers.
    assert set(mapping) == set(EVENT_TYPES) - {"access.recorded"}
    for event_type, ref in mapping.items():
        schema = _resolve(document, {"$ref": ref})
        assert schema["properties"]["event_type"]["const"] == event_type
        assert schema["additionalProperties"] is False
        assert "event_id" in schema["required"]
        assert {"$ref": ref} in event["oneOf"]


async def test_every_instant_parameter_is_documented_as_a_date_or_a_date_time(api: Api) -> None:
    document = await _document(api)
    instants = [
        (path, parameter)
        for path, operations in document["paths"].items()
        for operation in operations.values()
        for parameter in operation.get("parameters", ())
        # The consistency proof's from and to are tree sizes, not instants.
        if parameter["name"] in ("from", "to", "as_of") and "/proofs/" not in path
    ]

    assert len(instants) >= 10
    for path, parameter in instants:
        formats = {choice.get("format") for choice in parameter["schema"]["anyOf"]}
        assert formats == {"date", "date-time"}, (path, parameter["name"])


async def test_a_profile_changes_rule_ids_and_discharge_switches_are_documented_as_checked(
    api: Api,
) -> None:
    document = await _document(api)
    settings = document["components"]["schemas"]["ProfileSettings"]
    listed = next(
        choice for choice in settings["properties"]["rules"]["anyOf"] if choice.get("type")
    )
    validator = Draft202012Validator({**settings, "components": document["components"]})
    both_off = {"discharge_requires_escort": False, "discharge_requires_driving_advice": False}

    assert listed["items"]["enum"] == list(RULE_CATALOGUE)
    assert listed["uniqueItems"] is True
    assert not validator.is_valid(both_off)
    assert not validator.is_valid({"rules": ["no.such_rule"]})
    assert validator.is_valid({"discharge_requires_escort": False})
    for refused in (both_off, {"rules": ["no.such_rule"]}):
        response = await api.client.post(
            f"/v1/clinics/{CLINIC}/profiles/iv-ketamine",
            json={"settings": refused, "author": "dr-ng", "reason": "Checked."},
            headers=api.auth("admin"),
        )
        assert response.status_code == 422, refused


async def test_a_profile_change_for_a_clinic_id_the_contract_refuses_is_invalid_by_its_path(
    api: Api,
) -> None:
    document = await _document(api)
    operation = document["paths"]["/v1/clinics/{clinic_id}/profiles/{protocol}"]["post"]
    (clinic,) = [p for p in operation["parameters"] if p["name"] == "clinic_id"]
    pattern = re.compile(clinic["schema"]["pattern"])

    response = await api.client.post(
        "/v1/clinics/%20%20/profiles/iv-ketamine",
        json={"settings": {"monitoring_max_gap_minutes": 10}, "author": "a", "reason": "b"},
        headers=api.auth("admin"),
    )

    assert pattern.search("  ") is None
    assert pattern.search("a\x07b") is None
    assert pattern.search(CLINIC) is not None
    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "clinic_id"
