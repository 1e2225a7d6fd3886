"""``GET /v1/sessions``: a clinic's sessions of a period, filtered, paginated."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from events import ACCESS_TOPIC, TOPIC
from services.demo import PLANTED_LAPSES
from tests.http.serving import Api, published
from tests.http.support import CLINIC

pytestmark = pytest.mark.memory_ports


async def _list(api: Api, **params: Any) -> dict[str, Any]:
    response = await api.client.get(
        "/v1/sessions", params={"clinic_id": CLINIC, **params}, headers=api.auth("officer")
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_last_seven_days_list_every_session_of_the_demo_day_with_its_status(
    api: Api,
) -> None:
    page = await _list(api)

    assert (page["total"], page["limit"], page["offset"]) == (24, 50, 0)
    statuses = {item["session_id"]: item["status"] for item in page["items"]}
    assert {s for s, status in statuses.items() if status == "non_compliant"} == set(PLANTED_LAPSES)
    assert set(statuses.values()) == {"non_compliant", "pending"}
    first = page["items"][0]
    assert set(first) == {
        "session_id",
        "clinic_id",
        "patient_id",
        "protocol",
        "status",
        "session_start",
        "failed_rules",
        "profile_version",
    }
    starts = [datetime.fromisoformat(item["session_start"]) for item in page["items"]]
    assert starts == sorted(starts)


async def test_each_non_compliant_session_names_exactly_its_failed_rule(api: Api) -> None:
    page = await _list(api, status="non_compliant")

    assert page["total"] == len(PLANTED_LAPSES)
    assert {item["session_id"]: item["failed_rules"] for item in page["items"]} == {
        session: [rule] for session, rule in PLANTED_LAPSES.items()
    }


async def test_pages_follow_each_other_without_gaps_or_repeats(api: Api) -> None:
    pages = [await _list(api, limit=10, offset=offset) for offset in (0, 10, 20)]
    everything = await _list(api)

    assert [len(p["items"]) for p in pages] == [10, 10, 4]
    assert {p["total"] for p in pages} == {24}
    assert [i["session_id"] for p in pages for i in p["items"]] == [
        i["session_id"] for i in everything["items"]
    ]


async def test_a_status_filter_counts_its_total_before_paginating(api: Api) -> None:
    page = await _list(api, status="non_compliant", limit=2, offset=4)

    assert page["total"] == 5
    assert len(page["items"]) == 1


async def test_protocol_and_patient_filters_keep_only_matching_sessions(api: Api) -> None:
    spravato = await _list(api, protocol="spravato-rems")
    one_patient = await _list(api, patient_id="pt-e8172b")

    assert spravato["total"] == 8
    assert {item["protocol"] for item in spravato["items"]} == {"spravato-rems"}
    assert [item["session_id"] for item in one_patient["items"]] == ["sess-demo-05"]


async def test_a_patient_filter_past_the_last_page_still_records_a_read_of_that_patient(
    api: Api,
) -> None:
    # The total alone tells whether the patient had sessions: that is a read of them.
    page = await _list(api, patient_id="pt-e8172b", offset=4242)
    assert (page["items"], page["total"]) == ([], 1)

    def reads_on(topic: str) -> list[tuple[str, str]]:
        return [
            (event["patient_id"], event["payload"]["resource"])
            for event in on_topics[topic]
            if event["event_type"] == "access.recorded"
            and event["payload"]["query"].get("offset") == "4242"
        ]

    on_topics = {topic: await published(api, topics=(topic,)) for topic in (ACCESS_TOPIC, TOPIC)}
    assert reads_on(ACCESS_TOPIC) == [("pt-e8172b", "GET /v1/sessions")]
    assert reads_on(TOPIC) == []


async def test_a_patient_without_sessions_is_no_read_of_anyone(api: Api) -> None:
    page = await _list(api, patient_id="pt-nobody", offset=4343)
    assert page["total"] == 0
    reads = [
        event
        for event in await published(api)
        if event["event_type"] == "access.recorded"
        and event["payload"]["query"].get("offset") == "4343"
    ]
    assert reads == []


async def test_a_period_without_sessions_lists_none(api: Api) -> None:
    page = await _list(api, **{"from": "2026-10-01", "to": "2026-10-08"})

    assert (page["total"], page["items"]) == (0, [])


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"status": "fine"}, "status"),
        ({"protocol": "oral"}, "protocol"),
        ({"from": "last tuesday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"from": "2026-11-20", "to": "2026-11-10"}, "to"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, "from"),
        ({"from": "0001-01-01"}, "from"),
        ({"limit": "501"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"offset": "-1"}, "offset"),
        ({"clinic_id": None}, "clinic_id"),
    ],
)
async def test_a_bad_query_parameter_is_refused_naming_it(
    api: Api, params: dict[str, str | None], parameter: str
) -> None:
    query = {key: value for key, value in {"clinic_id": CLINIC, **params}.items() if value}

    response = await api.client.get("/v1/sessions", params=query, headers=api.auth("officer"))

    assert response.status_code == 422
    assert [(e["index"], e["path"]) for e in response.json()["errors"]] == [(None, parameter)]
