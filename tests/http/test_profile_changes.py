"""``POST /v1/clinics/{id}/profiles/{protocol}``: thresholds change on the record, admin only."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.projecting import Projector
from tests.factories import at, document, valid
from tests.http.serving import Api, published
from tests.http.support import CLINIC, NOW

pytestmark = pytest.mark.memory_ports

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
    on_topic = {e["event_id"]: e for e in await published(api)}
    change = on_topic[event_id]
    assert change["event_type"] == "profile.changed"
    assert (change["clinic_id"], change["patient_id"]) == (CLINIC, "-")
    assert change["payload"] == {"protocol": "iv-ketamine", **_CHANGE}


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


@pytest.fixture(params=["memory_api", "sql_api"])
def either_api(request: pytest.FixtureRequest) -> Api:
    """The app served from memory, then from SQLite and the embedded broker:
    the check reads the profiles' read model, which each store keeps its own way."""
    served: Api = request.getfixturevalue(request.param)
    return served


def _change_event(settings: dict[str, object], *, occurred: datetime) -> dict[str, Any]:
    """A ``profile.changed`` of the demo clinic's iv-ketamine profile, as published."""
    return at(
        document(
            "profile.changed",
            clinic_id=CLINIC,
            payload={**_CHANGE, "protocol": "iv-ketamine", "settings": settings},
        ),
        occurred,
    )


async def _in_the_log(
    api: Api, settings: dict[str, object], *, minutes_ago: int = 60
) -> dict[str, object]:
    """A ``profile.changed`` of the demo clinic's iv-ketamine profile, recorded and folded
    on whichever store ``api`` serves."""
    occurred = NOW - timedelta(minutes=minutes_ago)
    doc = _change_event(settings, occurred=occurred)
    if api.memory is not None:
        await api.memory.log.record(valid=[valid(doc)], invalid=[], recorded_at=occurred)
        return doc
    assert api.engine is not None
    await SqlEventStore(engine=api.engine).record(
        valid=[valid(doc)], invalid=[], recorded_at=occurred
    )
    await Projector(store=SqlProjectionStore(engine=api.engine)).catch_up()
    return doc


async def test_a_change_is_checked_against_the_profile_in_force_not_the_shipped_one(
    either_api: Api,
) -> None:
    api = either_api
    # Shipped: the post-dose window is 30 to 50 minutes. The clinic moved it to 10 to 20.
    await _in_the_log(api, {"post_dose_bp_from_minutes": 10, "post_dose_bp_until_minutes": 20})
    body = {**_CHANGE, "settings": {"post_dose_bp_until_minutes": 25}}

    response = await api.client.post(_PATH, json=body, headers=api.auth("admin"))

    # Against the shipped start (30), an end at 25 was refused although 10 is in force.
    assert response.status_code == 202, response.text


async def test_a_change_the_profile_in_force_makes_incoherent_is_a_conflict_naming_both(
    either_api: Api,
) -> None:
    api = either_api
    await _in_the_log(api, {"post_dose_bp_from_minutes": 45, "post_dose_bp_until_minutes": 60})
    body = {**_CHANGE, "settings": {"post_dose_bp_until_minutes": 40}}

    response = await api.client.post(_PATH, json=body, headers=api.auth("admin"))

    # Against the shipped start (30) it passed, and the fold then refused it as a fault.
    assert response.status_code == 409, response.text
    detail = response.json()["detail"]
    assert "post_dose_bp_until_minutes" in detail
    assert "post_dose_bp_from_minutes = 45" in detail
    assert "version 1" in detail


async def test_a_change_that_contradicts_itself_is_invalid_whatever_is_in_force(
    api: Api,
) -> None:
    settings = {"post_dose_bp_from_minutes": 40, "post_dose_bp_until_minutes": 40}

    response = await api.client.post(
        _PATH, json={**_CHANGE, "settings": settings}, headers=api.auth("admin")
    )

    assert response.status_code == 422, response.text
    assert "post_dose_bp_from_minutes must be less than" in response.text


@pytest.mark.parametrize(
    ("payload", "occurred", "named"),
    [
        ({"post_dose_bp_until_minutes": 40}, NOW, "post_dose_bp_from_minutes = 45"),
        ({"monitoring_max_gap_minutes": 10}, NOW - timedelta(days=1), "takes effect before"),
    ],
    ids=["incoherent with the version in force", "before the version in force"],
)
async def test_post_events_refuses_a_profile_change_the_fold_would_refuse(
    either_api: Api, payload: dict[str, int], occurred: datetime, named: str
) -> None:
    api = either_api
    await _in_the_log(api, {"post_dose_bp_from_minutes": 45, "post_dose_bp_until_minutes": 60})
    doc = _change_event(payload, occurred=occurred)

    response = await api.client.post("/v1/events", json=doc, headers=api.auth("admin"))

    assert response.status_code == 409, response.text
    assert named in response.json()["detail"]
    assert doc["event_id"] in response.json()["detail"]


async def test_post_events_checks_a_batchs_profile_changes_in_order(api: Api) -> None:
    # Each alone is incoherent with the shipped 30-50 window; in this order they move it.
    docs = [
        _change_event(settings, occurred=NOW)
        for settings in (
            {"post_dose_bp_from_minutes": 5},
            {"post_dose_bp_until_minutes": 10},
        )
    ]

    accepted = await api.client.post("/v1/events", json={"events": docs}, headers=api.auth("admin"))
    refused = await api.client.post(
        "/v1/events", json={"events": docs[::-1]}, headers=api.auth("admin")
    )

    assert accepted.status_code == 202, accepted.text
    assert refused.status_code == 409, refused.text


@pytest.mark.parametrize(
    "settings",
    [
        {"post_dose_bp_from_minutes": 40, "post_dose_bp_until_minutes": 35},
        {"rules": ["no.such_rule"]},
        {"discharge_requires_escort": False, "discharge_requires_driving_advice": False},
    ],
    ids=["a window ending before it starts", "an unknown rule", "no discharge check"],
)
async def test_post_events_refuses_a_profile_change_that_contradicts_itself_as_invalid(
    api: Api, settings: dict[str, object]
) -> None:
    doc = _change_event(settings, occurred=NOW)

    response = await api.client.post("/v1/events", json=doc, headers=api.auth("admin"))

    assert response.status_code == 422, response.text
    [problem] = response.json()["errors"]
    assert problem["path"] == "payload.settings"
    assert doc["event_id"] in problem["message"]


async def test_post_events_takes_a_retried_profile_change_the_log_already_holds(
    either_api: Api,
) -> None:
    api = either_api
    first = await _in_the_log(api, {"monitoring_max_gap_minutes": 12}, minutes_ago=60)
    await _in_the_log(api, {"monitoring_max_gap_minutes": 11}, minutes_ago=30)

    # A retry of a batch whose answer was lost: checked again, the first change would now
    # take effect before the version after it.
    response = await api.client.post("/v1/events", json=first, headers=api.auth("admin"))

    assert response.status_code == 202, response.text
