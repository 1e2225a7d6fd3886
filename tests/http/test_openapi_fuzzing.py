"""Schemathesis drives every operation of the OpenAPI document: no answer is a 5xx."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import Callable
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from services.adapters.tansu import EmbeddedBroker
from services.clock import FixedClock
from services.runtime import running_stack
from tests.http.support import NOW, issue_tokens, seed
from tests.integration.support import settings_for

EXAMPLES_PER_MODE = 20


def _fuzz(base_url: str, token: str) -> Counter[tuple[str, int]]:
    """Call every operation with valid and with invalid input; (operation, status) -> calls.

    Synchronous (schemathesis calls with ``requests``), so it runs in a worker thread
    while the event loop serves the API it calls.
    """
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    seen: Counter[tuple[str, int]] = Counter()
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        # The documented examples (a real clinic and session) always run: under CI=true
        # Hypothesis derandomizes, and its fixed draws may never reach an existing session.
        for example in operation.get_strategies_from_examples():
            _check(example, base_url=base_url, token=token, seen=seen)()
        _check(operation.as_strategy(), base_url=base_url, token=token, seen=seen)()
        negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
        # An operation without parameters or body (/healthz) has no invalid input at all.
        with contextlib.suppress(Unsatisfiable):
            _check(negative, base_url=base_url, token=token, seen=seen)()
    return seen


def _check(
    strategy: SearchStrategy[schemathesis.Case[Any]],
    *,
    base_url: str,
    token: str,
    seen: Counter[tuple[str, int]],
) -> Callable[[], None]:
    @settings(
        max_examples=EXAMPLES_PER_MODE,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def check(case: schemathesis.Case[Any]) -> None:
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
        seen[(case.operation.label, response.status_code)] += 1
        case.validate_response(response, checks=[not_a_server_error])

    return check


async def test_no_operation_answers_a_server_error_to_generated_requests(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings_ = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    async with running_stack(
        settings_, record=False, project=False, clock=FixedClock(at=NOW)
    ) as stack:
        await seed(stack.engine)
        tokens = await issue_tokens(stack.engine)
        seen = await asyncio.to_thread(_fuzz, str(stack.http_url), tokens["admin"])

    operations = {operation for operation, _ in seen}
    statuses = {status for _, status in seen}
    assert len(operations) == 10
    assert {200, 422} <= statuses
    assert ("GET /v1/sessions", 200) in seen
    assert ("GET /v1/sessions/{session_id}/compliance", 200) in seen
    assert not {status for status in statuses if status >= 500}
