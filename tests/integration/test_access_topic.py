"""kapaudit's own access topic: reads are recorded only from it, and it carries only reads.

A clinic system may write the clinics' event topic; a read record arriving there would be
forged, so the recorder rejects it, as it rejects a clinical event on the access topic.
"""

from __future__ import annotations

import json
from typing import Any

from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from events import ACCESS_TOPIC, DLQ_TOPIC, TOPIC, RejectionReason
from services.adapters.kafka import CHECKPOINT_TOPIC, ensure_topics
from services.adapters.sql.tables import event_log
from services.adapters.tansu import EmbeddedBroker
from services.runtime import running_stack
from services.verification import verify_log
from tests.factories import document, encode
from tests.integration.support import produce_raw, read_dead_letters, settings_for, wait_until

PATIENT = "pt-topics"
SESSION = "s-topics"


def _read(*, token_name: str = "anna") -> dict[str, Any]:
    return document(
        "access.recorded",
        patient_id=PATIENT,
        session_id=SESSION,
        payload={"token_name": token_name},
    )


async def test_ensure_topics_creates_the_access_topic_with_the_configured_partitions(
    kafka: EmbeddedBroker,
) -> None:
    created = await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=3)
    again = await ensure_topics(bootstrap_servers=kafka.bootstrap_servers, partitions=3)

    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers, group_id=None)
    await consumer.start()
    try:
        await consumer.topics()
        partitions = {
            topic: len(consumer.partitions_for_topic(topic) or ())
            for topic in (TOPIC, ACCESS_TOPIC, DLQ_TOPIC, CHECKPOINT_TOPIC)
        }
    finally:
        await consumer.stop()
    assert sorted(created) == sorted([TOPIC, ACCESS_TOPIC, DLQ_TOPIC, CHECKPOINT_TOPIC])
    assert again == []
    # One partition for the checkpoints: their notes must stay in order.
    assert partitions == {TOPIC: 3, ACCESS_TOPIC: 3, DLQ_TOPIC: 3, CHECKPOINT_TOPIC: 1}


async def test_a_read_on_the_clinics_topic_and_a_clinical_event_on_the_access_topic_are_rejected(
    kafka: EmbeddedBroker, database_url: str
) -> None:
    settings = settings_for(bootstrap_servers=kafka.bootstrap_servers, database_url=database_url)
    scheduled = document("session.scheduled", patient_id=PATIENT, session_id=SESSION)
    ended = document("session.ended", patient_id=PATIENT, session_id=SESSION)
    forged_read = _read(token_name="someone-else")
    misrouted_vitals = document("vitals.recorded", patient_id=PATIENT, session_id=SESSION)
    reads = [_read(), _read()]
    session_key, patient_key = SESSION.encode(), PATIENT.encode()
    async with running_stack(settings, project=False, serve_http=False) as stack:
        # Valid events around the misrouted ones, on the same partitions, as a plain
        # (non-kapaudit) producer would send them.
        await produce_raw(
            kafka.bootstrap_servers,
            TOPIC,
            [
                (session_key, encode(scheduled)),
                (patient_key, encode(forged_read)),
                (session_key, encode(ended)),
            ],
        )
        await produce_raw(
            kafka.bootstrap_servers,
            ACCESS_TOPIC,
            [
                (patient_key, encode(reads[0])),
                (session_key, encode(misrouted_vitals)),
                (patient_key, encode(reads[1])),
            ],
        )
        letters = await read_dead_letters(kafka.bootstrap_servers, count=2)

        async def valid_ones_recorded() -> bool:
            return await stack.store.count() >= 4

        await wait_until(valid_ones_recorded, what="the four valid events")
        rows = await stack.store.rows()
        async with stack.engine.connect() as connection:
            query = select(event_log.c.event_id, event_log.c.kafka_topic)
            topics = {event_id: topic for event_id, topic in await connection.execute(query)}
        rejections = await stack.store.rejections()
        report = await verify_log(stack.store.rows_by_stream())

    by_event = {json.loads(letter["value"])["event_id"]: letter for letter in letters}
    assert set(by_event) == {forged_read["event_id"], misrouted_vitals["event_id"]}
    forged_letter = by_event[forged_read["event_id"]]
    assert (forged_letter["reason"], forged_letter["topic"]) == ("wrong_topic", TOPIC)
    assert forged_letter["errors"][0]["path"] == "event_type"
    assert forged_letter["errors"][0]["message"].startswith(
        f"access.recorded belongs on topic {ACCESS_TOPIC}, not {TOPIC}"
    )
    misrouted_letter = by_event[misrouted_vitals["event_id"]]
    assert (misrouted_letter["reason"], misrouted_letter["topic"]) == ("wrong_topic", ACCESS_TOPIC)
    assert misrouted_letter["errors"][0]["path"] == "event_type"
    assert misrouted_letter["errors"][0]["message"].startswith(
        f"vitals.recorded belongs on topic {TOPIC}, not {ACCESS_TOPIC}"
    )

    stored = {r.event_id: r for r in rejections}
    assert set(stored) == {forged_read["event_id"], misrouted_vitals["event_id"]}
    assert {r.reason for r in rejections} == {RejectionReason.WRONG_TOPIC}
    assert [e.path for r in rejections for e in r.errors] == ["event_type", "event_type"]
    assert stored[forged_read["event_id"]].raw == encode(forged_read)
    assert stored[forged_read["event_id"]].coordinates.topic == TOPIC
    assert stored[misrouted_vitals["event_id"]].raw == encode(misrouted_vitals)
    assert stored[misrouted_vitals["event_id"]].coordinates.topic == ACCESS_TOPIC

    recorded = {row.event_id: row for row in rows}
    assert set(recorded) == {
        scheduled["event_id"],
        ended["event_id"],
        reads[0]["event_id"],
        reads[1]["event_id"],
    }
    assert [topics[read["event_id"]] for read in reads] == [ACCESS_TOPIC] * 2
    assert [topics[doc["event_id"]] for doc in (scheduled, ended)] == [TOPIC] * 2
    assert [recorded[read["event_id"]].sequence for read in reads] == [1, 2]
    assert {recorded[read["event_id"]].stream_id for read in reads} == {
        f"clinic-demo/access/{PATIENT}"
    }
    assert report.intact
