"""``GET /metrics``: requests counted by route template, never by path; verifications."""

from __future__ import annotations

import dataclasses

import httpx
from faststream.kafka import KafkaBroker
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.ext.asyncio import AsyncEngine

from services.adapters.prometheus import PrometheusMetrics
from services.http import create_app
from tests.http.endpoints import SESSION, VERIFY
from tests.http.support import http_context


def _samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


async def test_requests_and_verifications_are_counted_without_ids(
    engine: AsyncEngine, connected_broker: KafkaBroker, tokens: dict[str, str]
) -> None:
    context = dataclasses.replace(
        http_context(engine=engine, broker=connected_broker), metrics=PrometheusMetrics()
    )
    app = create_app(context)
    admin = {"Authorization": f"Bearer {tokens['admin']}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get(f"/v1/sessions/{SESSION}/timeline", headers=admin)).is_success
        assert (await client.get("/v1/sessions/nope/timeline", headers=admin)).status_code == 404
        assert (await client.get("/no/such/page")).status_code == 404
        assert (await client.get(VERIFY, headers=admin)).status_code == 200
        response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert SESSION not in response.text
    samples = _samples(response.text)
    route = "/v1/sessions/{session_id}/timeline"

    def requests(path: str, status: str) -> float:
        labels = frozenset({("method", "GET"), ("route", path), ("status", status)})
        return samples.get(("kapaudit_http_requests_total", labels), 0)

    assert requests(route, "200") == 1
    assert requests(route, "404") == 1
    assert requests("(unmatched)", "404") == 1
    assert requests("/v1/log/verify", "200") == 1
    assert samples[("kapaudit_verifications_total", frozenset({("result", "intact")}))] == 1
    assert samples[("kapaudit_verification_intact", frozenset())] == 1
