"""The AsyncAPI document that FastStream generates for kapaudit's topics."""

from __future__ import annotations

import json
from collections.abc import Sequence
from importlib.metadata import version
from typing import Any, Literal

import yaml
from faststream.specification import AsyncAPI

from events import ACCESS_TOPIC, DLQ_TOPIC, TOPIC, AccessRecorded, SessionEvent
from services.adapters.kafka.broker import make_broker
from services.adapters.kafka.checkpoints import CHECKPOINT_TOPIC
from services.adapters.kafka.recorder_subscriber import register_recorder
from services.recording import BatchOutcome, IncomingMessage

__all__ = ["asyncapi_document"]


class _DocumentationOnly:
    """Stands in for the recorder: the document needs the subscriber's shape, not its work."""

    async def record_batch(self, messages: Sequence[IncomingMessage]) -> BatchOutcome:
        raise RuntimeError("this broker only describes the topics")


def asyncapi_document(*, fmt: Literal["yaml", "json"] | str = "yaml") -> str:
    """Render the AsyncAPI 3.0 document (YAML or JSON)."""
    broker = make_broker(bootstrap_servers="kafka:9092")
    register_recorder(
        broker,
        recorder=_DocumentationOnly(),  # type: ignore[arg-type]
        group_id="kapaudit-recorder",
        batch_size=500,
        batch_timeout_ms=200,
    )
    broker.publisher(
        TOPIC,
        title="clinic-publishers",
        description=(
            "Clinic systems publish one JSON event per message (UTF-8), keyed by session_id, "
            "or by patient_id for consent.given, consent.withdrawn and rems.patient_enrolled. "
            "Every type except access.recorded, which is rejected here as wrong_topic."
        ),
        schema=SessionEvent,
    )
    broker.publisher(
        ACCESS_TOPIC,
        title="kapaudit-access-records",
        description=(
            "kapaudit's API and dashboard publish one access.recorded per patient whose data "
            "a read disclosed, keyed by patient_id. Only kapaudit writes here (clinic systems "
            "get no access to this topic); any other event type here is rejected as wrong_topic."
        ),
        schema=AccessRecorded,
    )
    broker.publisher(
        DLQ_TOPIC,
        title="kapaudit-dead-letters",
        description=(
            "The original bytes of every rejected message; headers kapaudit-reason, "
            "kapaudit-errors (JSON list of {path, message}) and kapaudit-source-topic/"
            "-partition/-offset say why and where it came from. An original too big to "
            "travel is cut to its first 64 KiB (kapaudit-payload: truncated); "
            "kapaudit-original-bytes and kapaudit-original-sha256 describe the original."
        ),
        schema=bytes,
    )
    broker.publisher(
        CHECKPOINT_TOPIC,
        title="kapaudit-checkpoints",
        description=(
            "Signed checkpoints of the whole log's RFC 6962 Merkle tree, one per message: "
            "the C2SP tlog-checkpoint note text (origin, tree size, base64 root hash) and "
            "its Ed25519 signature lines (C2SP signed-note), UTF-8, keyed by the origin. One "
            "partition, in the order they were signed. See docs/LOG-FORMAT.md."
        ),
        schema=str,
    )
    spec: Any = AsyncAPI(
        broker,
        title="kapaudit session events",
        version=version("kapaudit"),
        description="The event contract v1 of kapaudit, the KAP clinics' audit trail.",
    )
    # FastStream's channel order varies between runs; sorted keys keep the committed
    # copy in docs/ comparable.
    document = spec.to_specification().to_jsonable()
    if fmt == "yaml":
        return str(yaml.safe_dump(document, sort_keys=True, allow_unicode=True))
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False)
