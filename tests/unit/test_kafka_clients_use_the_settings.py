"""Every Kafka client kapaudit builds takes the TLS/SASL settings: none is left plaintext.

A static check of services/: clients are constructed only by the adapter functions that
take ``security`` (``make_broker``, ``ensure_topics``, ``group_lag``), and every call of those, or
of an ``EventPublisher`` with a broker of its own, passes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"

CONSTRUCTORS = {"KafkaBroker", "AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient"}
CONSTRUCTED_IN = {
    "adapters/kafka/broker.py",
    "adapters/kafka/topics.py",
    "adapters/kafka/group_lag.py",
}
NEEDS_SECURITY = {"make_broker", "ensure_topics", "group_lag"}
# The AsyncAPI document's broker only describes topics; it never connects.
DESCRIBES_ONLY = {"adapters/kafka/asyncapi.py"}


def _calls() -> list[tuple[str, ast.Call]]:
    calls = []
    for path in sorted(SERVICES.rglob("*.py")):
        where = path.relative_to(SERVICES).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                calls.append((where, node))
    return calls


def _name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def _keywords(call: ast.Call) -> set[str]:
    return {keyword.arg for keyword in call.keywords if keyword.arg}


def test_kafka_clients_are_constructed_only_by_the_adapter_functions() -> None:
    stray = [
        f"{where}:{call.lineno} {_name(call)}"
        for where, call in _calls()
        if _name(call) in CONSTRUCTORS and where not in CONSTRUCTED_IN
    ]
    assert stray == []


def test_every_client_built_passes_the_security_settings() -> None:
    calls = _calls()
    unsecured = [
        f"{where}:{call.lineno} {_name(call)}"
        for where, call in calls
        if where not in DESCRIBES_ONLY
        and (
            _name(call) in NEEDS_SECURITY
            or (_name(call) == "EventPublisher" and "bootstrap_servers" in _keywords(call))
        )
        and "security" not in _keywords(call)
    ]
    assert unsecured == []
    # The check sees the call sites it is about (the stack, topics create, the CLI's).
    assert sum(_name(call) in NEEDS_SECURITY for _, call in calls) >= 6
