"""``POST /v1/clinics/{id}/profiles/{protocol}``: thresholds change on the record, admin only."""

from __future__ import annotations

import pytest

from tests.factories import document
from tests.http.serving import Api
from tests.http.support import CLINIC, published_events

_PATH = f"/v1/clinics/{CLINIC}/profiles/iv-ketamine"
_CHANGE = {
    "settings": {"monitoring_max_gap_minutes": 10},
    "author": "dr-ng",
    "reason": "Medical director: vitals every 10 min.",
}


async def test_an_admins_change_is_published_as_profile_changed_with_author_and_reason(
    api: Api,
) -> None:
    response = await api.client.post(_PATH, json=_CHANGE, headers=api.auth("admin"))

    assert response.status_code == 202, response.text
    (event_id,) = response.json()["accepted"]
    on_topic = {e["event_id"]: e for e in await published_events(api.bootstrap_servers)}
    published = on_topic[event_id]
    assert published["event_type"] == "profile.changed"
    assert (published["clinic_id"], published["patient_id"]) == (CLINIC, "-")
    assert published["payload"] == {"protocol": "iv-ketamine", **_CHANGE}


async def test_a_null_setting_keeps_its_value_as_the_contract_says(api: Api) -> None:
    settings = {"monitoring_max_gap_minutes": 10, "observation_minimum_minutes": None}

    response = await api.client.post(
        _PATH, json={**_CHANGE, "settings": settings}, headers=api.auth("admin")
    )

    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"monitoring_max_gap_minutes": 0}, "monitoring_max_gap_minutes"),
        ({"monitoring_gap": 10}, "monitoring_gap"),
    ],
)
async def test_a_change_the_profile_cannot_take_is_refused_naming_the_setting(
    api: Api, settings: dict[str, int], named: str
) -> None:
    body = {**_CHANGE, "settings": settings}

    response = await api.client.post(_PATH, json=body, headers=api.auth("admin"))

    assert response.status_code == 422
    assert named in response.text


@pytest.mark.parametrize("token", ["officer", "publisher", "regulator"])
async def test_only_an_admin_may_change_thresholds(api: Api, token: str) -> None:
    response = await api.client.post(_PATH, json=_CHANGE, headers=api.auth(token))

    assert response.status_code == 403


async def test_a_publisher_may_not_slip_a_profile_change_into_post_events(api: Api) -> None:
    doc = document("profile.changed")

    response = await api.client.post("/v1/events", json=doc, headers=api.auth("publisher"))

    assert response.status_code == 403
