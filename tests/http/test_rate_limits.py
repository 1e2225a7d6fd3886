"""The API's per-token rate limits: 429 with Retry-After, a token at a time, and the
costly calls on a tighter budget that a refusal does not spend."""

from __future__ import annotations

from dataclasses import replace

import pytest

from services.rate_limits import ApiLimits, Limit
from tests.http.endpoints import READS, VERIFY
from tests.http.serving import Api

# Nothing here depends on the store: served from the memory ports (tests/http/conftest.py).
pytestmark = pytest.mark.memory_ports


def _limit(api: Api, *, requests: Limit, expensive: Limit) -> None:
    state = api.app.state
    state.context = replace(
        state.context,
        limits=ApiLimits.of(requests=requests, expensive=expensive, monotonic=lambda: 0.0),
    )


_PLENTY = Limit(per_minute=600, burst=100)


async def test_a_token_past_its_burst_is_told_429_with_retry_after_and_others_are_not(
    api: Api,
) -> None:
    _limit(api, requests=Limit(per_minute=6, burst=3), expensive=_PLENTY)
    answers = [
        (await api.client.get(READS[0], headers=api.auth("officer"))).status_code for _ in range(3)
    ]

    refused = await api.client.get(READS[0], headers=api.auth("officer"))
    other = await api.client.get(READS[0], headers=api.auth("admin"))

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "10"
    assert "at most 6 a minute" in refused.json()["detail"]
    assert other.status_code == 200


async def test_every_v1_route_spends_from_the_same_bucket(api: Api) -> None:
    _limit(api, requests=Limit(per_minute=6, burst=2), expensive=_PLENTY)
    await api.client.get(READS[1], headers=api.auth("officer"))
    await api.client.get(READS[4], headers=api.auth("officer"))

    refused = await api.client.get(READS[5], headers=api.auth("officer"))

    assert refused.status_code == 429


async def test_a_whole_log_check_has_its_own_tighter_budget(api: Api) -> None:
    _limit(api, requests=_PLENTY, expensive=Limit(per_minute=2, burst=1))
    first = await api.client.get(VERIFY, headers=api.auth("admin"))

    second = await api.client.get(VERIFY, headers=api.auth("admin"))
    read = await api.client.get(READS[0], headers=api.auth("admin"))

    assert first.status_code == 200
    assert second.status_code == 429
    assert second.headers["retry-after"] == "30"
    assert "log checks and exports" in second.json()["detail"]
    assert read.status_code == 200


async def test_a_refused_check_spends_nothing_of_the_costly_budget(api: Api) -> None:
    _limit(api, requests=_PLENTY, expensive=Limit(per_minute=2, burst=1))
    refusals = [
        (await api.client.get(VERIFY, headers=api.auth("officer"))).status_code for _ in range(3)
    ]

    assert refusals == [403, 403, 403]
    assert (await api.client.get(VERIFY, headers=api.auth("admin"))).status_code == 200


async def test_an_unauthenticated_request_is_401_not_429(api: Api) -> None:
    _limit(api, requests=Limit(per_minute=1, burst=1), expensive=_PLENTY)
    answers = [(await api.client.get(READS[0])).status_code for _ in range(3)]

    assert answers == [401, 401, 401]
