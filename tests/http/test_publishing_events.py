"""``POST /v1/events``: all or nothing, acknowledged by the broker before 202."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import document
from tests.http.serving import Api, published, published_ids
from tests.http.support import CLINIC, OTHER_CLINIC

pytestmark = pytest.mark.memory_ports


def _batch(*documents: object) -> dict[str, Any]:
    return {"events": list(documents)}


async def test_a_publishers_batch_is_accepted_with_its_ids_once_they_are_on_the_topic(
    sql_api: Api,
) -> None:
    api = sql_api  # the topic itself, read back from the embedded broker
    documents = [document("vitals.recorded"), document("dose.administered")]

    response = await api.client.post(
        "/v1/events", json=_batch(*documents), headers=api.auth("publisher")
    )

    assert response.status_code == 202
    ids = [doc["event_id"] for doc in documents]
    assert response.json() == {"accepted": ids}
    on_topic = {e["event_id"]: e for e in await published(api)}
    assert set(ids) <= set(on_topic)
    assert on_topic[ids[1]]["payload"]["dose_mg"] == documents[1]["payload"]["dose_mg"]


async def test_a_single_event_body_is_accepted_as_a_batch_of_one(api: Api) -> None:
    doc = document("session.started")

    response = await api.client.post("/v1/events", json=doc, headers=api.auth("publisher"))

    assert response.status_code == 202
    assert response.json() == {"accepted": [doc["event_id"]]}
    assert doc["event_id"] in await published_ids(api)


async def test_an_admin_may_publish_for_any_clinic(api: Api) -> None:
    doc = document("vitals.recorded", clinic_id=OTHER_CLINIC)

    response = await api.client.post("/v1/events", json=doc, headers=api.auth("admin"))

    assert response.status_code == 202


async def test_every_invalid_field_of_every_event_is_reported_with_its_index_and_none_is_published(
    api: Api,
) -> None:
    fine = document("vitals.recorded")
    bad_dose = document("dose.administered", payload={"dose_mg": "a lot"})
    two_faults = document("vitals.recorded", occurred_at="yesterday")
    del two_faults["source"]

    response = await api.client.post(
        "/v1/events", json=_batch(fine, bad_dose, two_faults), headers=api.auth("publisher")
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert {(e["index"], e["path"]) for e in errors} == {
        (1, "payload.dose_mg"),
        (2, "occurred_at"),
        (2, "source"),
    }
    assert all(e["message"] for e in errors)
    sent = {doc["event_id"] for doc in (fine, bad_dose, two_faults)}
    assert not sent & await published_ids(api)


async def test_an_access_recorded_event_is_refused_so_no_client_can_forge_a_read(
    api: Api,
) -> None:
    forged = document("access.recorded", payload={"token_name": "other-officer", "role": "admin"})
    fine = document("vitals.recorded")

    response = await api.client.post(
        "/v1/events", json=_batch(fine, forged), headers=api.auth("admin")
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["path"]) == (1, "event_type")
    assert "written by kapaudit itself" in error["message"]
    assert not {fine["event_id"], forged["event_id"]} & await published_ids(api)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        (b"{not json", "(root)"),
        (b'"an event"', "(root)"),
        (b"[]", "(root)"),
        (b'{"events": {}}', "events"),
        (b'{"events": []}', "events"),
        (b'{"events": [], "extra": 1}', "(root)"),
        (b'{"a": 1, "a": 2}', "(root)"),
        (b'{"events": [NaN]}', "(root)"),
        (b"\xff\xfe", "(root)"),
    ],
)
async def test_a_body_of_the_wrong_shape_is_refused_with_a_clear_error_not_about_any_event(
    api: Api, body: bytes, path: str
) -> None:
    response = await api.client.post(
        "/v1/events",
        content=body,
        headers={**api.auth("publisher"), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["path"]) == (None, path)
    assert error["message"]


async def test_more_than_a_thousand_events_are_refused_naming_the_events_field(api: Api) -> None:
    event = document("vitals.recorded")
    body = json.dumps({"events": [event] * 1001})

    response = await api.client.post(
        "/v1/events",
        content=body,
        headers={**api.auth("publisher"), "Content-Type": "application/json"},
    )

    assert response.status_code == 422
    [error] = response.json()["errors"]
    assert (error["index"], error["path"]) == (None, "events")
    assert "1001" in error["message"]


async def test_an_item_that_is_not_an_object_is_reported_at_its_index(api: Api) -> None:
    response = await api.client.post(
        "/v1/events",
        json=_batch(document("vitals.recorded"), [1, 2]),
        headers=api.auth("publisher"),
    )

    assert response.status_code == 422
    assert [(e["index"], e["path"]) for e in response.json()["errors"]] == [(1, "(root)")]


async def test_the_same_event_id_with_other_content_in_one_request_is_refused(api: Api) -> None:
    first = document("vitals.recorded")
    second = {**first, "source": "another-system/1.0"}

    response = await api.client.post(
        "/v1/events", json=_batch(first, second), headers=api.auth("publisher")
    )

    assert response.status_code == 422
    assert [(e["index"], e["path"]) for e in response.json()["errors"]] == [(1, "event_id")]


async def test_the_same_event_twice_in_one_request_is_accepted_once(api: Api) -> None:
    doc = document("vitals.recorded")

    response = await api.client.post(
        "/v1/events", json=_batch(doc, doc), headers=api.auth("publisher")
    )

    assert response.status_code == 202
    assert response.json() == {"accepted": [doc["event_id"]]}


async def test_an_event_of_another_clinic_forbids_the_whole_batch_and_nothing_is_published(
    api: Api,
) -> None:
    own = document("vitals.recorded", clinic_id=CLINIC)
    foreign = document("vitals.recorded", clinic_id=OTHER_CLINIC)

    response = await api.client.post(
        "/v1/events", json=_batch(own, foreign), headers=api.auth("publisher")
    )

    assert response.status_code == 403
    assert OTHER_CLINIC in response.json()["detail"]
    assert not {own["event_id"], foreign["event_id"]} & await published_ids(api)


@pytest.mark.parametrize("token_name", ["officer", "regulator"])
async def test_tokens_of_roles_that_do_not_publish_are_forbidden(api: Api, token_name: str) -> None:
    doc = document("vitals.recorded")

    response = await api.client.post("/v1/events", json=doc, headers=api.auth(token_name))

    assert response.status_code == 403
    assert doc["event_id"] not in await published_ids(api)


async def test_a_body_that_is_not_declared_as_json_is_refused_as_unsupported(api: Api) -> None:
    response = await api.client.post(
        "/v1/events",
        content=json.dumps(document("vitals.recorded")),
        headers={**api.auth("publisher"), "Content-Type": "text/plain"},
    )

    assert response.status_code == 415
