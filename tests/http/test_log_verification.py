"""``GET /v1/log/verify``: the chains re-computed; other clinics' breaks only counted."""

from __future__ import annotations

from services.adapters.sql import SqlEventStore
from tests.http.endpoints import VERIFY
from tests.http.serving import Api
from tests.http.support import CLINIC, tamper


async def test_an_untouched_log_is_intact_and_every_event_is_counted(api: Api) -> None:
    response = await api.client.get(VERIFY, headers=api.auth("officer"))

    assert response.status_code == 200
    body = response.json()
    assert body["intact"] is True
    assert body["events"] == await SqlEventStore(engine=api.engine).count()
    assert body["streams"] > 24
    assert (body["broken"], body["broken_elsewhere"]) == ([], 0)


async def test_a_modified_event_is_located_for_its_clinic_and_only_counted_for_others(
    api: Api,
) -> None:
    rows = await SqlEventStore(engine=api.engine).rows(limit=5000)
    target = next(row for row in rows if row.stream_id.startswith(f"{CLINIC}/session/"))
    await tamper(
        api.engine,
        "UPDATE event_log SET event_json = :forged WHERE position = :position",
        forged=target.event_json.replace('"clinic-demo"', '"clinic-demo" '),
        position=target.position,
    )

    own = (await api.client.get(VERIFY, headers=api.auth("officer"))).json()
    other = (await api.client.get(VERIFY, headers=api.auth("other-officer"))).json()

    assert own["intact"] is False
    assert [(b["stream_id"], b["event_id"], b["problem"]) for b in own["broken"]] == [
        (target.stream_id, target.event_id, "modified")
    ]
    assert other["intact"] is False
    assert (other["broken"], other["broken_elsewhere"]) == ([], 1)
