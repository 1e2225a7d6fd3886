"""A session's timeline and compliance verdict, as of now or any earlier instant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

from tests.http.endpoints import SESSION
from tests.http.serving import Api

# Nothing here depends on the store: served from the memory ports (tests/http/conftest.py).
pytestmark = pytest.mark.memory_ports

BEFORE_THE_END = "2026-11-24T11:30:00-07:00"
"""Half an hour before the session's end was recorded."""


async def _get(api: Api, path: str, **params: str) -> dict[str, Any]:
    response = await api.client.get(path, params=params, headers=api.auth("officer"))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_the_compliance_answer_has_exactly_the_documented_fields(api: Api) -> None:
    verdict = await _get(api, f"/v1/sessions/{SESSION}/compliance")

    assert set(verdict) == {
        "session_id",
        "clinic_id",
        "patient_id",
        "protocol",
        "status",
        "as_of",
        "rules",
        "profile_version",
    }
    assert verdict["profile_version"] == 0  # no profile.changed: the shipped defaults
    assert {key for rule in verdict["rules"] for key in rule} == {
        "rule_id",
        "outcome",
        "evidence",
        "detail",
    }
    assert verdict["as_of"] == "2026-11-25T03:00:00+00:00"


async def test_the_planted_lapse_fails_its_rule_with_a_sentence_saying_why(api: Api) -> None:
    verdict = await _get(api, f"/v1/sessions/{SESSION}/compliance")

    assert (verdict["status"], verdict["protocol"]) == ("non_compliant", "spravato-rems")
    failed = [rule for rule in verdict["rules"] if rule["outcome"] == "fail"]
    assert [rule["rule_id"] for rule in failed] == ["vitals.bp_at_40_min"]
    assert failed[0]["detail"].startswith("No blood pressure")
    assert failed[0]["evidence"]


async def test_as_of_an_earlier_instant_the_session_was_still_open(api: Api) -> None:
    earlier = await _get(api, f"/v1/sessions/{SESSION}/compliance", as_of=BEFORE_THE_END)

    assert earlier["status"] == "open"
    assert earlier["as_of"] == "2026-11-24T18:30:00+00:00"


async def test_the_timeline_lists_the_sessions_events_in_clinical_order(api: Api) -> None:
    timeline = await _get(api, f"/v1/sessions/{SESSION}/timeline")

    assert (timeline["session_id"], timeline["patient_id"]) == (SESSION, "pt-e8172b")
    types = [entry["event_type"] for entry in timeline["entries"]]
    assert {"session.scheduled", "consent.given", "dose.administered", "session.ended"} <= set(
        types
    )
    times = [datetime.fromisoformat(entry["occurred_at"]) for entry in timeline["entries"]]
    assert times == sorted(times)


async def test_as_of_an_earlier_instant_the_timeline_holds_only_what_was_recorded_by_then(
    api: Api,
) -> None:
    now = await _get(api, f"/v1/sessions/{SESSION}/timeline")
    earlier = await _get(api, f"/v1/sessions/{SESSION}/timeline", as_of=BEFORE_THE_END)

    assert 0 < len(earlier["entries"]) < len(now["entries"])
    assert "session.ended" not in {entry["event_type"] for entry in earlier["entries"]}


async def test_a_bad_as_of_is_refused_naming_it(api: Api) -> None:
    response = await api.client.get(
        f"/v1/sessions/{SESSION}/compliance",
        params={"as_of": "soon"},
        headers=api.auth("officer"),
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["path"] == "as_of"


async def test_a_blank_query_parameter_does_not_keep_the_read_from_being_recorded(
    api: Api,
) -> None:
    response = await api.client.get(
        f"/v1/sessions/{SESSION}/timeline", params={"note": " "}, headers=api.auth("officer")
    )

    assert response.status_code == 200
