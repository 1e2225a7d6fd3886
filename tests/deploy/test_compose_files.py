"""docker-compose.yml (3-node Kafka) and its one-node override, without Docker.

Both files, the override merged over the base as ``docker compose -f docker-compose.yml
-f docker-compose.single.yml`` merges it, are validated against the Compose
Specification's JSON Schema (vendored: COMPOSE-SPEC-SOURCE.md), then checked for the
topology the issue asks for. The merge here is Compose's for what the override uses:
mappings merged key by key, anything else replaced (the override sets new ``profiles``
and environment values only). ``docker compose config`` itself needs the Compose
plugin, which the test machines do not have.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from services.adapters.sql.roles import Component
from services.config import Settings

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((Path(__file__).parent / "compose-spec.json").read_text(encoding="utf-8"))

# What .env holds (the compose file refuses to start without them).
ENV = {
    "POSTGRES_PASSWORD": "pg",
    "RECORDER_DB_PASSWORD": "rec",
    "PROJECTOR_DB_PASSWORD": "proj",
    "READER_DB_PASSWORD": "read",
}
NODES = ("kafka-1", "kafka-2", "kafka-3")
KAPAUDIT_SERVICES = ("migrate", "recorder", "projector", "api")


def _load(name: str) -> dict[str, Any]:
    loaded = yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def _merged(base: Any, override: Any) -> Any:
    if isinstance(base, Mapping) and isinstance(override, Mapping):
        return {
            key: _merged(base[key], override[key])
            if key in base and key in override
            else override.get(key, base.get(key))
            for key in {**base, **override}
        }
    return override


_VARIABLE = re.compile(r"\$\$|\$\{(?P<name>[A-Z0-9_]+)(?:(?P<op>:[?-])(?P<arg>[^}]*))?\}")


def _interpolated(value: Any, env: Mapping[str, str]) -> Any:
    if isinstance(value, dict):
        return {key: _interpolated(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolated(item, env) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        name, op, arg = match.group("name", "op", "arg")
        if env.get(name):
            return env[name]
        if op == ":?":
            raise AssertionError(f"{name} is required: {arg}")
        return arg or ""

    return _VARIABLE.sub(substitute, value)


def _project(*files: str) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for name in files:
        document = _merged(document, _load(name))
    return _interpolated(document, ENV)  # type: ignore[no-any-return]


def _enabled(project: dict[str, Any]) -> dict[str, Any]:
    """The services ``up`` starts: those in no profile (none is enabled)."""
    return {name: s for name, s in project["services"].items() if not s.get("profiles")}


@pytest.fixture(scope="module")
def replicated() -> dict[str, Any]:
    return _project("docker-compose.yml")


@pytest.fixture(scope="module")
def single() -> dict[str, Any]:
    return _project("docker-compose.yml", "docker-compose.single.yml")


@pytest.mark.parametrize(
    "files", [("docker-compose.yml",), ("docker-compose.yml", "docker-compose.single.yml")]
)
def test_the_files_are_valid_compose(files: tuple[str, ...]) -> None:
    jsonschema.Draft7Validator.check_schema(SCHEMA)
    validator = jsonschema.Draft7Validator(SCHEMA)
    for name in files:  # each file alone, uninterpolated, as compose reads it
        validator.validate(_load(name))
    validator.validate(_project(*files))


def test_compose_refuses_to_start_without_the_passwords() -> None:
    with pytest.raises(AssertionError, match="POSTGRES_PASSWORD"):
        _interpolated(_load("docker-compose.yml"), {})


def test_three_kraft_nodes_keep_three_copies_and_wait_for_two(
    replicated: dict[str, Any],
) -> None:
    services = _enabled(replicated)
    ids = set()
    for node in NODES:
        env = services[node]["environment"]
        ids.add(env["KAFKA_NODE_ID"])
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == (
            "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
        )
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 3
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == 2
        assert env["KAFKA_UNCLEAN_LEADER_ELECTION_ENABLE"] == "false"
        assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 3
        assert env["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false"
        assert f"{node}-data:/var/lib/kafka/data" in services[node]["volumes"]
    assert ids == {1, 2, 3}
    for service in KAPAUDIT_SERVICES:
        env = services[service]["environment"]
        assert env["KAPAUDIT_KAFKA_REPLICATION_FACTOR"] == "3"
        assert env["KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS"] == "kafka-1:9092,kafka-2:9092,kafka-3:9092"


def test_the_external_listener_is_sasl_ssl_with_scram_and_acls_deny_by_default(
    replicated: dict[str, Any],
) -> None:
    for node in NODES:
        service = replicated["services"][node]
        env = service["environment"]
        protocols = dict(
            pair.split(":") for pair in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
        )
        assert protocols["SASL_SSL"] == "SASL_SSL"
        # No listener is PLAINTEXT: every connection authenticates.
        assert set(protocols.values()) == {"SASL_PLAINTEXT", "SASL_SSL"}
        assert (
            f"SASL_SSL://localhost:{service['ports'][0].split(':')[1]}"
            in (env["KAFKA_ADVERTISED_LISTENERS"])
        )
        assert service["ports"][0].startswith("127.0.0.1:")
        assert env["KAFKA_LISTENER_NAME_SASL__SSL_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
        assert env["KAFKA_LISTENER_NAME_INTERNAL_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512"
        assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == (
            "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
        )
        assert env["KAFKA_SUPER_USERS"] == "User:admin"
        assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
        assert "kafka_server_jaas" in env["KAFKA_OPTS"]
        targets = {s["target"] for s in service["secrets"] if isinstance(s, dict)}
        assert f"/etc/kafka/secrets/{env['KAFKA_SSL_KEYSTORE_FILENAME']}" in targets
        assert f"/etc/kafka/secrets/{env['KAFKA_SSL_KEYSTORE_CREDENTIALS']}" in targets


def test_the_init_job_lets_only_kapaudit_write_the_access_topic(
    replicated: dict[str, Any], tmp_path: Path
) -> None:
    init = replicated["services"]["kafka-init"]
    mount, target, _mode = init["volumes"][0].split(":")
    assert target in init["entrypoint"]
    calls = _run_init_script(ROOT / mount, tmp_path, brokers=3, expected=3)

    users = [call for call in calls if call[0] == "kafka-configs.sh"]
    assert [_argument(call, "--entity-name") for call in users] == ["kapaudit", "publisher"]
    assert _argument(users[0], "--add-config") == "SCRAM-SHA-512=[iterations=8192,password=pw-k]"
    grants = _grants(calls)
    writers = {principal for principal, operations, topic in grants if "Write" in operations}
    assert {p for p, ops, topic in grants if topic == "kap.access-events.v1"} == {"User:kapaudit"}
    assert writers == {"User:kapaudit", "User:publisher"}
    assert [(ops, topic) for p, ops, topic in grants if p == "User:publisher"] == [
        ({"Write", "Describe"}, "kap.session-events.v1")
    ]
    # kapaudit's services start only after the users and ACLs exist.
    assert replicated["services"]["migrate"]["depends_on"]["kafka-init"] == {
        "condition": "service_completed_successfully"
    }


def test_the_init_job_fails_when_too_few_brokers_register(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError) as failed:
        _run_init_script(ROOT / "deploy/kafka-init.sh", tmp_path, brokers=2, expected=3)
    assert "only 2 of 3 brokers registered" in failed.value.stderr


def _run_init_script(
    script: Path, tmp_path: Path, *, brokers: int, expected: int
) -> list[list[str]]:
    """Runs deploy/kafka-init.sh with Kafka's command-line tools replaced by stand-ins
    that record their arguments; returns the recorded calls."""
    tools, secrets, log = tmp_path / "bin", tmp_path / "secrets", tmp_path / "calls.jsonl"
    tools.mkdir()
    secrets.mkdir()
    (secrets / "kapaudit_kafka_password").write_text("pw-k\n", encoding="utf-8")
    (secrets / "kafka_publisher_password").write_text("pw-p\n", encoding="utf-8")
    (secrets / "kafka_admin_client").write_text("", encoding="utf-8")
    listing = "".join(f"kafka-{n}:9091 (id: {n} rack: null) -> (\\n" for n in range(1, brokers + 1))
    dump = "import json, sys; print(json.dumps(sys.argv[1:]))"
    record = f'{sys.executable} -c "{dump}" "$(basename "$0")" "$@" >> {log}'
    for tool, body in [
        ("kafka-broker-api-versions.sh", f"printf '{listing}'"),
        ("kafka-configs.sh", record),
        ("kafka-acls.sh", record),
    ]:
        (tools / tool).write_text(f"#!/usr/bin/env bash\n{body}\n", encoding="utf-8")
        (tools / tool).chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "KAFKA_BIN": str(tools),
        "SECRETS_DIR": str(secrets),
        "KAFKA_BOOTSTRAP": "kafka-1:9091",
        "KAFKA_EXPECTED_BROKERS": str(expected),
        "KAFKA_WAIT_SECONDS": "0",
    }
    subprocess.run(
        ["bash", str(script)], env=env, check=True, capture_output=True, text=True, timeout=60
    )
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def _argument(call: list[str], option: str) -> str:
    return call[call.index(option) + 1]


def _grants(calls: list[list[str]]) -> list[tuple[str, set[str], str]]:
    """(principal, operations, topic or group) of each kafka-acls.sh --add."""
    grants = []
    for call in calls:
        if call[0] != "kafka-acls.sh":
            continue
        assert "--add" in call
        operations = {call[i + 1] for i, arg in enumerate(call) if arg == "--operation"}
        resource = (
            _argument(call, "--topic")
            if "--topic" in call
            else "group:" + _argument(call, "--group")
        )
        grants.append((_argument(call, "--allow-principal"), operations, resource))
    return grants


def test_every_secret_used_is_declared_with_its_file(replicated: dict[str, Any]) -> None:
    declared = replicated["secrets"]
    for name, service in replicated["services"].items():
        for secret in service.get("secrets", []):
            source = secret["source"] if isinstance(secret, dict) else secret
            assert source in declared, (name, source)
    assert all(entry["file"].startswith("./secrets/") for entry in declared.values())
    assert {"kapaudit_signing_key", "kapaudit_kafka_password"} <= set(
        replicated["services"]["recorder"]["secrets"]
    )
    # What the compose file had before: the database, the jobs and services, the exports.
    assert {"postgres", "migrate", "recorder", "projector", "api"} <= set(replicated["services"])
    assert "exports:/var/lib/kapaudit/exports" in replicated["services"]["api"]["volumes"]


def test_the_single_node_override_parks_two_nodes_and_drops_replication_to_one(
    single: dict[str, Any],
) -> None:
    services = _enabled(single)
    assert set(NODES) & set(services) == {"kafka-1"}
    env = services["kafka-1"]["environment"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == "1@kafka-1:9093"
    assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_MIN_INSYNC_REPLICAS"] == 1
    assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == 1
    # Security stays as in production.
    assert env["KAFKA_AUTHORIZER_CLASS_NAME"].endswith("StandardAuthorizer")
    assert services["kafka-init"]["environment"]["KAFKA_EXPECTED_BROKERS"] == "1"
    for service in KAPAUDIT_SERVICES:
        kapaudit = services[service]["environment"]
        assert kapaudit["KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS"] == "kafka-1:9092"
        assert kapaudit["KAPAUDIT_KAFKA_REPLICATION_FACTOR"] == "1"
        assert kapaudit["KAPAUDIT_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
    # Nothing started depends on a parked node, which compose would refuse.
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name


@pytest.mark.parametrize(
    "files", [("docker-compose.yml",), ("docker-compose.yml", "docker-compose.single.yml")]
)
def test_every_kapaudit_variable_set_is_a_real_setting_and_consistent(
    files: tuple[str, ...],
) -> None:
    read_directly = {f"KAPAUDIT_{component.value.upper()}_DB_PASSWORD" for component in Component}
    known = {f"KAPAUDIT_{name.upper()}" for name in Settings.model_fields} | read_directly
    for name, service in _enabled(_project(*files)).items():
        env = {k: v for k, v in service.get("environment", {}).items() if k.startswith("KAPAUDIT_")}
        assert set(env) <= known, (name, set(env) - known)
        if env:
            # What each service gets passes the settings' own checks.
            Settings(
                **{
                    k.removeprefix("KAPAUDIT_").lower(): v
                    for k, v in env.items()
                    if k not in read_directly
                }
            )


def test_the_recorder_and_projector_publish_their_metrics_on_loopback(
    replicated: dict[str, Any],
) -> None:
    services = replicated["services"]
    for name, port in (("recorder", "9101"), ("projector", "9102")):
        environment = services[name]["environment"]
        assert environment["KAPAUDIT_METRICS_HOST"] == "0.0.0.0"
        assert environment[f"KAPAUDIT_{name.upper()}_METRICS_PORT"] == port
        assert services[name]["ports"] == [f"127.0.0.1:{port}:{port}"]
    assert services["api"]["environment"]["KAPAUDIT_LOG_FORMAT"] == "json"
