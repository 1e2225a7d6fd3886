"""The AsyncAPI document in docs/ is the one FastStream generates today."""

from __future__ import annotations

from pathlib import Path

import yaml

from services.adapters.kafka.asyncapi import asyncapi_document

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"


def test_the_committed_asyncapi_document_is_fresh() -> None:
    committed = DOCUMENT.read_text(encoding="utf-8").rstrip()
    assert committed == asyncapi_document(fmt="yaml").rstrip(), (
        "docs/asyncapi.yaml is stale: run `make schemas`"
    )


def test_the_asyncapi_document_names_the_four_topics_and_the_event_schema() -> None:
    spec = yaml.safe_load(asyncapi_document(fmt="yaml"))
    addresses = {channel["address"] for channel in spec["channels"].values()}
    assert addresses == {
        "kap.session-events.v1",
        "kap.access-events.v1",
        "kap.session-events.dlq.v1",
        "kap.checkpoints.v1",
    }
    assert "DoseAdministered" in spec["components"]["schemas"]


def test_the_asyncapi_document_shows_the_recorder_reading_both_event_topics() -> None:
    spec = yaml.safe_load(asyncapi_document(fmt="yaml"))
    received = {
        spec["channels"][operation["channel"]["$ref"].split("/")[-1]]["address"]
        for operation in spec["operations"].values()
        if operation["action"] == "receive"
    }
    assert received == {"kap.session-events.v1", "kap.access-events.v1"}


def test_the_asyncapi_document_gives_kapaudits_access_topic_only_the_access_event() -> None:
    spec = yaml.safe_load(asyncapi_document(fmt="yaml"))
    [message] = spec["channels"]["kapaudit-access-records"]["messages"].values()
    name = message["$ref"].split("/")[-1]
    payload = spec["components"]["messages"][name]["payload"]
    assert payload == {"$ref": "#/components/schemas/AccessRecorded"}
