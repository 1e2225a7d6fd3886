"""An admin changes a threshold from the Thresholds page: on the record, or refused in place.

The form publishes what ``POST /v1/clinics/{id}/profiles/{protocol}`` and ``kapaudit profile
set`` publish, a ``profile.changed`` carrying the author and the reason; these tests keep
what it publishes instead of sending it to a broker.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from events import ProfileChanged, SessionEvent
from services.adapters.sql import SqlEventStore, SqlProjectionStore
from services.http.availability import get_broker_timeout
from services.projecting import Projector
from tests.dashboard.conftest import Dashboard
from tests.factories import valid
from tests.http.support import CLINIC, NOW

PAGE = f"/clinics/{CLINIC}/thresholds"
CHANGE = {
    "protocol": "iv-ketamine",
    "setting": "monitoring_max_gap_minutes",
    "value": "10",
    "author": "dr-okafor",
    "reason": "Vitals every 10 minutes during infusions.",
}


class KeptPublisher:
    """Keeps each published event, or fails every publish as an unreachable broker would."""

    def __init__(self, *, reachable: bool = True) -> None:
        self.events: list[SessionEvent] = []
        self.reachable = reachable

    async def publish_many(self, events: Iterable[SessionEvent]) -> int:
        if not self.reachable:
            raise ConnectionError("broker unreachable")
        kept = list(events)
        self.events.extend(kept)
        return len(kept)


def _keep_published(dashboard: Dashboard, *, reachable: bool = True) -> KeptPublisher:
    publisher = KeptPublisher(reachable=reachable)
    state = dashboard.app.state
    state.context = replace(state.context, publisher=publisher)
    # An unreachable broker is given up on at once, not after the API's ten seconds.
    dashboard.app.dependency_overrides[get_broker_timeout] = lambda: 0.5
    return publisher


async def _post(
    dashboard: Dashboard, form: dict[str, str], *, as_token: str = "admin", **headers: str
) -> Any:
    return await dashboard.client.post(
        PAGE,
        data=form,
        headers={"Cookie": f"kapaudit_token={dashboard.tokens[as_token]}", **headers},
    )


async def test_an_admin_sees_the_change_form_with_their_name_as_author(
    dashboard: Dashboard,
) -> None:
    page = await dashboard.get(PAGE, as_token="admin")

    assert page.status_code == 200
    assert f'action="/clinics/{CLINIC}/thresholds"' in page.text
    assert 'id="change-reason"' in page.text
    author = page.text.split('id="change-author"')[1].split(">")[0]
    assert 'value="admin"' in author


async def test_an_officer_sees_the_thresholds_but_no_change_form(dashboard: Dashboard) -> None:
    page = await dashboard.get(PAGE, as_token="officer")

    assert page.status_code == 200
    assert 'id="protocol-iv-ketamine"' in page.text
    assert 'id="change-threshold"' not in page.text


async def test_an_admins_change_is_published_with_author_reason_and_typed_value(
    dashboard: Dashboard,
) -> None:
    publisher = _keep_published(dashboard)

    response = await _post(dashboard, CHANGE)

    assert response.status_code == 303
    [event] = publisher.events
    assert isinstance(event, ProfileChanged)
    assert (event.clinic_id, event.payload.protocol.value) == (CLINIC, "iv-ketamine")
    assert event.payload.settings.model_dump(exclude_none=True) == {
        "monitoring_max_gap_minutes": 10
    }
    assert (event.payload.author, event.payload.reason) == (CHANGE["author"], CHANGE["reason"])
    assert event.occurred_at == NOW
    assert response.headers["location"] == f"{PAGE}?published={event.event_id}"
    page = await dashboard.get(response.headers["location"], as_token="admin")
    assert f"published as event <code>{event.event_id}</code>" in page.text


async def test_the_published_change_once_recorded_is_in_force_and_in_the_history(
    dashboard: Dashboard, engine: AsyncEngine
) -> None:
    publisher = _keep_published(dashboard)
    await _post(dashboard, CHANGE)
    [event] = publisher.events
    await SqlEventStore(engine=engine).record(
        valid=[_as_recorded(event)], invalid=[], recorded_at=NOW
    )
    await Projector(store=SqlProjectionStore(engine=engine)).catch_up()

    page = await dashboard.get(PAGE, as_token="officer")

    iv = page.text.split('id="protocol-iv-ketamine"')[1].split("</section>")[0]
    row = iv.split('data-setting="monitoring_max_gap_minutes"')[1].split("</tr>")[0]
    assert '<td data-label="Value">10</td>' in row
    history = iv.split('data-version="1"')[1].split("</li>")[0]
    assert "<strong>dr-okafor</strong>: Vitals every 10 minutes during infusions." in history


async def test_a_window_is_moved_one_setting_at_a_time_as_the_form_changes_them(
    dashboard: Dashboard, engine: AsyncEngine
) -> None:
    # The shipped post-dose window is 30 to 50 minutes; the clinic wants 10 to 20. The
    # form changes one setting per post, so the end is checked against the start in force.
    publisher = _keep_published(dashboard)
    for setting, value in (
        ("post_dose_bp_from_minutes", "10"),
        ("post_dose_bp_until_minutes", "20"),
    ):
        response = await _post(dashboard, {**CHANGE, "setting": setting, "value": value})
        assert response.status_code == 303, response.text
        await SqlEventStore(engine=engine).record(
            valid=[_as_recorded(publisher.events[-1])], invalid=[], recorded_at=NOW
        )
        await Projector(store=SqlProjectionStore(engine=engine)).catch_up()

    backwards = await _post(
        dashboard, {**CHANGE, "setting": "post_dose_bp_from_minutes", "value": "25"}
    )

    assert [
        dict(e.payload.settings.changed())
        for e in publisher.events
        if isinstance(e, ProfileChanged)
    ] == [
        {"post_dose_bp_from_minutes": 10},
        {"post_dose_bp_until_minutes": 20},
    ]
    assert backwards.status_code == 422
    error = backwards.text.split('id="threshold-error">')[1].split("</p>")[0]
    assert "post_dose_bp_until_minutes = 20" in error


@pytest.mark.parametrize(
    ("changed", "named"),
    [
        ({"value": "ten"}, "monitoring_max_gap_minutes: &#39;ten&#39; is not a whole number"),
        ({"value": "0"}, "monitoring_max_gap_minutes"),
        ({"setting": "monitoring_gap"}, "unknown profile setting &#39;monitoring_gap&#39;"),
        ({"protocol": "oral-ketamine"}, "protocol: &#39;oral-ketamine&#39; is not a protocol"),
        ({"reason": "   "}, "reason: "),
        ({"author": ""}, "author: "),
    ],
)
async def test_a_change_that_cannot_be_taken_is_refused_on_the_page_naming_the_field(
    dashboard: Dashboard, changed: dict[str, str], named: str
) -> None:
    publisher = _keep_published(dashboard)

    response = await _post(dashboard, {**CHANGE, **changed})

    assert response.status_code == 422
    error = response.text.split('id="threshold-error">')[1].split("</p>")[0]
    assert named in error
    assert 'id="protocol-iv-ketamine"' in response.text, "the page, not an error page"
    assert publisher.events == []


async def test_a_refused_change_keeps_what_was_typed_for_correcting(
    dashboard: Dashboard,
) -> None:
    _keep_published(dashboard)

    response = await _post(dashboard, {**CHANGE, "value": "ten"})

    assert 'value="ten"' in response.text.split('id="change-value"')[1].split(">")[0]
    assert f">{CHANGE['reason']}</textarea>" in response.text


@pytest.mark.parametrize("token", ["officer", "regulator", "publisher"])
async def test_only_an_admin_may_change_a_threshold(dashboard: Dashboard, token: str) -> None:
    publisher = _keep_published(dashboard)

    response = await _post(dashboard, CHANGE, as_token=token)

    assert response.status_code == 403
    assert "Only admins change thresholds" in response.text
    assert publisher.events == []


async def test_a_change_posted_from_another_site_is_refused_and_publishes_nothing(
    dashboard: Dashboard,
) -> None:
    publisher = _keep_published(dashboard)

    response = await _post(dashboard, CHANGE, Origin="https://attacker.example")

    assert response.status_code == 403
    assert "sent from another site" in response.text
    assert publisher.events == []


async def test_a_change_the_broker_does_not_acknowledge_is_reported_as_not_made(
    dashboard: Dashboard,
) -> None:
    _keep_published(dashboard, reachable=False)

    response = await _post(dashboard, CHANGE)

    assert response.status_code == 503
    error = response.text.split('id="threshold-error">')[1].split("</p>")[0]
    assert "not on the record and nothing changed" in error


def _as_recorded(event: ProfileChanged) -> Any:
    """The published event as the recorder hands it to the store."""
    return valid(event.model_dump(mode="json"))
