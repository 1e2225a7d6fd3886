"""The recorder against the real embedded broker (Tansu) and both stores."""

from __future__ import annotations

import hashlib
import json

from events import TOPIC, RejectionReason
from services.adapters.kafka import EventPublisher
from services.adapters.tansu import EmbeddedBroker
from services.runtime import running_stack
from services.verification import verify_log
from tests.factories import document, encode
from tests.integration.support import produce_raw, read_dead_letters, settings_for, wait_until


async def test_events_published_with_the_helper_are_recorded_once_in_a_verified_chain(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    docs = [document("session.started", session_id=f"s-{i % 3}") for i in range(30)]
    async with running_stack(settings) as stack:
        async with EventPublisher(bootstrap_servers=kafka.bootstrap_servers) as publisher:
            await publisher.publish_many(docs)

        async def all_recorded() -> bool:
            return await stack.store.count() >= len(docs)

        await wait_until(all_recorded, what="30 events in the log")
        rows = await stack.store.rows()
        report = await verify_log(stack.store.rows_by_stream())
    assert sorted(r.event_id for r in rows) == sorted(d["event_id"] for d in docs)
    assert report.intact
    assert report.streams == 3


async def test_a_plain_kafka_producer_can_publish_and_duplicates_are_recorded_once(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    doc = document("dose.administered", session_id="s-plain")
    twice = [(b"s-plain", encode(doc)), (b"s-plain", encode(doc))]
    later = document("session.ended", session_id="s-plain")
    async with running_stack(settings) as stack:
        await produce_raw(kafka.bootstrap_servers, TOPIC, [*twice, (b"s-plain", encode(later))])

        async def both_recorded() -> bool:
            return await stack.store.count() >= 2

        await wait_until(both_recorded, what="two distinct events")
        rows = await stack.store.rows()
        rejections = await stack.store.rejections()
    assert [r.event_id for r in rows] == [doc["event_id"], later["event_id"]]
    assert rejections == []


async def test_a_conflicting_event_goes_to_the_dead_letter_topic_and_the_first_version_stays(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    doc = document("dose.administered", session_id="s-conflict")
    altered = {**doc, "payload": {**doc["payload"], "dose_mg": 500.0}}
    async with running_stack(settings) as stack:
        await produce_raw(
            kafka.bootstrap_servers,
            TOPIC,
            [(b"s-conflict", encode(doc)), (b"s-conflict", encode(altered))],
        )
        [letter] = await read_dead_letters(kafka.bootstrap_servers, count=1)
        rows = await stack.store.rows()
        [rejection] = await stack.store.rejections()
    assert letter["reason"] == RejectionReason.CONFLICT.value
    assert letter["errors"][0]["path"] == "event_id"
    assert json.loads(letter["value"])["payload"]["dose_mg"] == 500.0
    assert [json.loads(r.event_json)["payload"]["dose_mg"] for r in rows] == [
        doc["payload"]["dose_mg"]
    ]
    assert rejection.event_id == doc["event_id"]


async def test_each_kind_of_invalid_message_reaches_the_dead_letter_topic_with_its_reason(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    good = [document("session.started", session_id="s-mixed") for _ in range(4)]
    bad_dose = document("dose.administered", session_id="s-mixed", payload={"dose_mg": -5})
    unknown = {**document("session.started", session_id="s-mixed"), "event_type": "dose.teleported"}
    # Valid-looking but with no UTC form: it must be rejected, not stall the recorder.
    timeless = document(
        "session.started", session_id="s-mixed", occurred_at="0001-01-01T00:00:00+14:00"
    )
    extreme = document("dose.administered", session_id="s-mixed", payload={"dose_mg": 1e308})
    # 1E15 is 4 bytes sent and 18 stored: this once passed ingest and froze the projector.
    expanding = document(
        "record.amended",
        session_id="s-mixed",
        payload={"corrected": {f"f{i}": 1e15 for i in range(16_000)}},
    )
    invalid = {
        encode(extreme): RejectionReason.SCHEMA_VIOLATION,
        encode(expanding).replace(b"1000000000000000.0", b"1E15"): RejectionReason.SCHEMA_VIOLATION,
        b"{not json": RejectionReason.INVALID_JSON,
        b"\xff\xfe\x00bad": RejectionReason.INVALID_UTF8,
        encode(unknown): RejectionReason.UNKNOWN_EVENT_TYPE,
        encode(bad_dose): RejectionReason.SCHEMA_VIOLATION,
        encode(timeless): RejectionReason.SCHEMA_VIOLATION,
        b'{"pad": "' + b"x" * (300 * 1024) + b'"}': RejectionReason.TOO_LARGE,
    }
    # Valid and invalid messages interleave on one partition (same key).
    messages: list[tuple[bytes | None, bytes]] = []
    for good_doc, bad in zip(good + good, invalid, strict=True):
        messages += [(b"s-mixed", encode(good_doc)), (b"s-mixed", bad)]
    async with running_stack(settings) as stack:
        await produce_raw(kafka.bootstrap_servers, TOPIC, messages)
        letters = await read_dead_letters(kafka.bootstrap_servers, count=len(invalid))

        async def all_good_recorded() -> bool:
            return await stack.store.count() >= len(good)

        await wait_until(all_good_recorded, what="the valid events")
        rows = await stack.store.rows()
        stored = await stack.store.rejections()
    assert {letter["value"]: letter["reason"] for letter in letters} == {
        raw: reason.value for raw, reason in invalid.items()
    }
    by_value = {letter["value"]: letter for letter in letters}
    assert by_value[encode(bad_dose)]["errors"][0]["path"] == "payload.dose_mg"
    assert by_value[encode(timeless)]["errors"][0]["path"] == "occurred_at"
    assert sorted(r.event_id for r in rows) == sorted(d["event_id"] for d in good)
    assert {r.raw: r.reason for r in stored} == invalid


async def test_a_message_too_big_for_the_dead_letter_topic_does_not_stop_its_partition(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    # 1,048,400 bytes: Kafka takes it, but the original plus the dead letter's headers
    # is over the producer's 1 MiB; it used to rewind the batch every second, for good.
    huge = b'{"pad": "' + b"x" * (1_048_400 - 11) + b'"}'
    after = document("session.started", session_id="s-huge")
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    async with running_stack(settings) as stack:
        await produce_raw(
            kafka.bootstrap_servers, TOPIC, [(b"s-huge", huge), (b"s-huge", encode(after))]
        )

        async def later_event_recorded() -> bool:
            return await stack.store.count() >= 1

        await wait_until(later_event_recorded, what="the event behind the huge message")
        [letter] = await read_dead_letters(kafka.bootstrap_servers, count=1)
        [stored] = await stack.store.rejections()
        rows = await stack.store.rows()
    assert [r.event_id for r in rows] == [after["event_id"]]
    assert stored.raw == huge
    assert stored.reason is RejectionReason.TOO_LARGE
    assert letter["reason"] == RejectionReason.TOO_LARGE.value
    assert letter["payload"] == "truncated"
    assert huge.startswith(letter["value"])
    assert len(letter["value"]) < len(huge)
    assert letter["original_sha256"] == hashlib.sha256(huge).hexdigest()
    assert letter["original_bytes"] == len(huge)
