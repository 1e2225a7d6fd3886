"""Without a live token nothing is answered, whatever the endpoint: 401 and a challenge."""

from __future__ import annotations

import httpx
import pytest

from tests.factories import document
from tests.http.endpoints import READS, VERIFY
from tests.http.serving import Api

# Nothing here depends on the store: served from the memory ports (tests/http/conftest.py).
pytestmark = pytest.mark.memory_ports


async def _every_endpoint(api: Api, headers: dict[str, str]) -> dict[str, httpx.Response]:
    answers = {path: await api.client.get(path, headers=headers) for path in (*READS, VERIFY)}
    answers["POST /v1/events"] = await api.client.post(
        "/v1/events", json=document("vitals.recorded"), headers=headers
    )
    return answers


def _challenged(answers: dict[str, httpx.Response]) -> dict[str, tuple[int, str | None]]:
    return {
        path: (response.status_code, response.headers.get("WWW-Authenticate"))
        for path, response in answers.items()
    }


async def test_a_request_without_a_token_is_unauthorized_with_a_bearer_challenge(api: Api) -> None:
    answers = await _every_endpoint(api, headers={})

    assert set(_challenged(answers).values()) == {(401, "Bearer")}


async def test_an_unknown_token_is_unauthorized(api: Api) -> None:
    answers = await _every_endpoint(api, headers={"Authorization": "Bearer kap_not-a-token"})

    assert set(_challenged(answers).values()) == {(401, "Bearer")}


async def test_a_revoked_token_is_unauthorized(api: Api) -> None:
    answers = await _every_endpoint(api, headers=api.auth("revoked"))

    assert set(_challenged(answers).values()) == {(401, "Bearer")}


async def test_a_token_sent_under_another_scheme_is_unauthorized(api: Api) -> None:
    answers = await _every_endpoint(api, headers={"Authorization": f"Basic {api.tokens['admin']}"})

    assert set(_challenged(answers).values()) == {(401, "Bearer")}
