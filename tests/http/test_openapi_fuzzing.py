"""Schemathesis drives every operation of the OpenAPI document: no answer is a 5xx, every
valid request is accepted and answered with the body its operation documents, and every
invalid one gets a 4xx. "Valid" is the document's word plus the rules it cannot state,
which ``schemathesis_hooks`` tells schemathesis (as ``schemathesis.toml`` does for a run
from outside)."""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from hypothesis.strategies import SearchStrategy
from schemathesis import GenerationMode
from schemathesis.checks import (
    CheckFunction,
    not_a_server_error,
    positive_data_acceptance,
    response_schema_conformance,
)
from schemathesis.core.result import Ok

from services.adapters.tansu import EmbeddedBroker
from services.clock import FixedClock
from services.runtime import running_stack
from services.signing_keys import create_key_file
from tests.http.schemathesis_hooks import (
    KNOWN_CLINIC,
    LOG_HOLDS_AT_LEAST,
    filter_case,
    map_case,
)
from tests.http.support import CLINIC, NOW, issue_tokens, seed
from tests.integration.support import settings_for

EXAMPLES_PER_MODE = 20

VALID_REQUEST_CHECKS: tuple[CheckFunction, ...] = (
    not_a_server_error,
    response_schema_conformance,
    positive_data_acceptance,
)
"""A documented example or a valid generated request must be accepted (no 400 or 422), and
answered with the body documented for its status: the OpenAPI document is what clients are
generated from."""
# Not negative_data_rejection: every call here carries the admin token, which a case
# generated "without Authorization" counts on lacking, and unknown query parameters are
# ignored, as HTTP APIs do. `schemathesis run --checks all` covers both from outside.
INVALID_REQUEST_CHECKS: tuple[CheckFunction, ...] = (not_a_server_error,)


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
            # Hooks apply to generated cases only; an example may combine into one that
            # breaks a rule the document cannot state.
            valid = example.filter(functools.partial(filter_case, None)).map(
                functools.partial(map_case, None)
            )
            _check(valid, VALID_REQUEST_CHECKS, base_url=base_url, token=token, seen=seen)()
        positive = operation.as_strategy()
        _check(positive, VALID_REQUEST_CHECKS, base_url=base_url, token=token, seen=seen)()
        negative = operation.as_strategy(generation_mode=GenerationMode.NEGATIVE)
        # An operation without parameters or body (/healthz) has no invalid input at all.
        with contextlib.suppress(Unsatisfiable):
            _check(negative, INVALID_REQUEST_CHECKS, base_url=base_url, token=token, seen=seen)()
    return seen


def _check(
    strategy: SearchStrategy[schemathesis.Case[Any]],
    checks: tuple[CheckFunction, ...],
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
        case.validate_response(response, checks=list(checks))

    return check


async def test_generated_requests_get_no_server_error_and_valid_ones_get_the_documented_body(
    kafka: EmbeddedBroker, database_url: str, tmp_path: Path
) -> None:
    # With a signing key, so that the export endpoints are offered rather than a 503.
    key = tmp_path / "signing.key"
    create_key_file(key, name="kapaudit.local/log")
    settings_ = settings_for(
        bootstrap_servers=kafka.bootstrap_servers,
        database_url=database_url,
        signing_key_file=key,
        export_dir=tmp_path / "exports",
    )
    async with running_stack(
        settings_, record=False, project=False, clock=FixedClock(at=NOW)
    ) as stack:
        await seed(stack.engine)
        # The state the hooks assume of a valid export (see schemathesis_hooks).
        assert await stack.store.count() > LOG_HOLDS_AT_LEAST
        assert KNOWN_CLINIC == CLINIC
        tokens = await issue_tokens(stack.engine)
        seen = await asyncio.to_thread(_fuzz, str(stack.http_url), tokens["admin"])

    operations = {operation for operation, _ in seen}
    statuses = {status for _, status in seen}
    assert len(operations) == 18
    assert "POST /v1/clinics/{clinic_id}/profiles/{protocol}" in operations
    assert {200, 422} <= statuses
    assert ("GET /v1/sessions", 200) in seen
    assert ("GET /v1/sessions/{session_id}/compliance", 200) in seen
    # The bodies that were only a bare object in the document were checked at least once.
    assert ("GET /v1/sessions/{session_id}/timeline", 200) in seen
    assert ("GET /v1/clinics/{clinic_id}/compliance-report", 200) in seen
    assert ("GET /v1/clinics/{clinic_id}/controlled-substances", 200) in seen
    assert ("GET /v1/clinics/{clinic_id}/access-report", 200) in seen
    assert ("POST /v1/exports", 202) in seen
    assert not {status for status in statuses if status >= 500}
