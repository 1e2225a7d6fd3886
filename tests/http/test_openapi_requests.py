"""The OpenAPI document says what the server checks of a request, and checks it in order:
the token first, then the parameters and the body."""

from __future__ import annotations

from typing import Any

import pytest

from tests.http.serving import Api
from tests.http.support import CLINIC

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
