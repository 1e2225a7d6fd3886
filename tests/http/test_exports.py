"""``/v1/exports`` through the app and the real broker: who may export what, how an
export is followed to done, and what the downloaded bundle and the access log hold."""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import bagit
import httpx
import pytest
from faststream.kafka import KafkaBroker
from sqlalchemy.ext.asyncio import AsyncEngine

from events import ACCESS_TOPIC
from services.adapters.kafka import make_broker
from services.adapters.sql.token_store import SqlTokenStore
from services.adapters.tansu import EmbeddedBroker
from services.auth import Role
from services.bootstrap import wire_exports
from services.chain.note import Verifier, open_note
from services.clock import FixedClock
from services.config import Settings
from services.exporting.queue import ExportQueue
from services.http import create_app
from services.offline.bundle_format import manifest_note_text
from services.signing_keys import create_key_file
from tests.http.serving import Api
from tests.http.support import CLINIC, NOW, OTHER_CLINIC, http_context, published_events

pytestmark = [pytest.mark.broker]

ORIGIN = "kapaudit.local/log"
DEMO_DAY = {"clinic_id": CLINIC, "from": "2026-11-24", "to": "2026-11-24"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Exporting:
    api: Api
    verifier: Verifier
    directory: Path
    queue: ExportQueue


@pytest.fixture
async def exporting(
    engine: AsyncEngine,
    kafka: EmbeddedBroker,
    connected_broker: KafkaBroker,
    tokens: dict[str, str],
    tmp_path: Path,
) -> AsyncIterator[Exporting]:
    """The app with an export queue signing with a fresh key into ``tmp_path/exports``."""
    key = tmp_path / "signing.key"
    verifier = create_key_file(key, name=ORIGIN)
    queue = ExportQueue(
        exports=wire_exports(
            settings=Settings(signing_key_file=key, log_origin=ORIGIN),
            engine=engine,
            broker=connected_broker,
            clock=FixedClock(at=NOW),
        ),
        directory=tmp_path / "exports",
    )
    context = replace(http_context(engine=engine, broker=connected_broker), exports=queue)
    app = create_app(context)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test"
        ) as client:
            api = Api(
                client=client,
                app=app,
                engine=engine,
                bootstrap_servers=kafka.bootstrap_servers,
                tokens=tokens,
            )
            yield Exporting(api=api, verifier=verifier, directory=tmp_path / "exports", queue=queue)
    finally:
        await queue.close()


async def _request(api: Api, token: str, body: dict[str, Any]) -> httpx.Response:
    return await api.client.post("/v1/exports", json=body, headers=api.auth(token))


async def _until_finished(api: Api, token: str, url: str) -> list[dict[str, Any]]:
    """Every status seen while polling ``url`` until the export is done or failed."""
    seen = []
    for _ in range(600):
        status = await api.client.get(url, headers=api.auth(token))
        assert status.status_code == 200, status.text
        seen.append(status.json())
        if seen[-1]["status"] in ("done", "failed"):
            return seen
        await asyncio.sleep(0.1)
    raise AssertionError(f"the export never finished: {seen[-1]}")


async def test_a_regulator_follows_its_export_to_done_and_downloads_a_signed_valid_bag(
    exporting: Exporting, tmp_path: Path
) -> None:
    api = exporting.api
    answer = await _request(api, "regulator", DEMO_DAY)
    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["status"] == "queued"
    assert answer.headers["location"] == body["links"]["status"]

    seen = await _until_finished(api, "regulator", body["links"]["status"])
    final = seen[-1]
    assert final["status"] == "done", final["error"]
    assert final["entries_written"] == final["entries_expected"] > 0
    assert final["requested_by"] == "regulator"
    assert final["period"]["time_zone"] == "America/Denver"
    assert final["counts"]["patients"] == 24

    download = await api.client.get(body["links"]["bundle"], headers=api.auth("regulator"))
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert f'filename="{body["export_id"]}.zip"' in download.headers["content-disposition"]
    archive = tmp_path / "downloaded.zip"
    archive.write_bytes(download.content)
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(tmp_path / "unzipped")
    bag_dir = tmp_path / "unzipped" / body["export_id"]
    bagit.Bag(str(bag_dir)).validate()
    manifest = (bag_dir / "manifest.json").read_bytes()
    signed = open_note((bag_dir / "manifest.sig").read_text(), verifiers=[exporting.verifier])
    assert signed.text == manifest_note_text(manifest)
    assert json.loads(manifest)["counts"] == final["counts"]


async def test_an_export_records_one_access_per_exported_patient_naming_the_token_and_range(
    exporting: Exporting,
) -> None:
    api = exporting.api
    body = (await _request(api, "regulator", DEMO_DAY)).json()
    final = (await _until_finished(api, "regulator", body["links"]["status"]))[-1]
    assert final["status"] == "done", final["error"]

    reads = [
        event
        for event in await published_events(api.bootstrap_servers, topics=(ACCESS_TOPIC,))
        if event["payload"]["resource"] == f"export {body['export_id']}"
    ]
    assert len(reads) == len({e["patient_id"] for e in reads}) == final["counts"]["patients"]
    assert {(e["payload"]["token_name"], e["payload"]["role"]) for e in reads} == {
        ("regulator", "regulator")
    }
    query = reads[0]["payload"]["query"]
    assert (query["from"], query["to"]) == ("2026-11-24T07:00:00Z", "2026-11-25T07:00:00Z")


async def test_the_bundle_is_a_conflict_until_the_export_is_done(exporting: Exporting) -> None:
    api = exporting.api
    first = (await _request(api, "regulator", DEMO_DAY)).json()
    second = (await _request(api, "regulator", DEMO_DAY)).json()
    # One export at a time: the second waits for the first, so it is not done yet.
    early = await api.client.get(second["links"]["bundle"], headers=api.auth("regulator"))
    assert early.status_code == 409
    assert "queued" in early.json()["detail"] or "running" in early.json()["detail"]
    for export in (first, second):
        final = (await _until_finished(api, "regulator", export["links"]["status"]))[-1]
        assert final["status"] == "done", final["error"]
    assert (
        await api.client.get(second["links"]["bundle"], headers=api.auth("regulator"))
    ).status_code == 200


@pytest.mark.parametrize(
    ("token", "clinic"),
    [("officer", CLINIC), ("publisher", CLINIC), ("regulator", OTHER_CLINIC)],
)
async def test_only_regulators_and_admins_may_export_and_only_their_clinics(
    exporting: Exporting, token: str, clinic: str
) -> None:
    answer = await _request(exporting.api, token, {**DEMO_DAY, "clinic_id": clinic})
    assert answer.status_code == 403
    assert await exporting.queue.recent(requested_by=None, limit=10) == []


async def test_another_tokens_export_is_not_found_but_an_admin_sees_it(
    exporting: Exporting,
) -> None:
    api = exporting.api
    body = (await _request(api, "regulator", DEMO_DAY)).json()
    await _until_finished(api, "regulator", body["links"]["status"])
    other, _ = await SqlTokenStore(engine=api.engine).create(
        name="regulator-2", role=Role.REGULATOR, clinics=[CLINIC], now=NOW
    )
    as_other = {"Authorization": f"Bearer {other}"}
    for url in (body["links"]["status"], body["links"]["bundle"], "/v1/exports/exp-nothing"):
        assert (await api.client.get(url, headers=as_other)).status_code == 404
    assert (await api.client.get("/v1/exports", headers=as_other)).json() == {"items": []}

    admin_list = await api.client.get("/v1/exports", headers=api.auth("admin"))
    assert body["export_id"] in [item["export_id"] for item in admin_list.json()["items"]]
    admin_status = await api.client.get(body["links"]["status"], headers=api.auth("admin"))
    assert admin_status.json()["requested_by"] == "regulator"
    # Its disclosures were recorded for the regulator: the admin does not get the bundle.
    admin_bundle = await api.client.get(body["links"]["bundle"], headers=api.auth("admin"))
    assert admin_bundle.status_code == 403


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"from": "2026-11-31"}, "from"),
        ({"to": "yesterday"}, "to"),
        ({"from": "2026-11-25", "to": "2026-11-24"}, "to"),
        ({"clinic_id": "a/b"}, "clinic_id"),
        ({"previous_sizes": [0]}, "previous_sizes.0"),
        ({"previous_sizes": [10**9]}, "previous_sizes"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_a_bad_request_is_422_naming_the_field(
    exporting: Exporting, change: dict[str, Any], path: str
) -> None:
    answer = await _request(exporting.api, "admin", {**DEMO_DAY, **change})
    assert answer.status_code == 422, answer.text
    assert path in [error["path"] for error in answer.json()["errors"]]


async def test_an_export_of_a_clinic_the_log_does_not_hold_is_422(exporting: Exporting) -> None:
    answer = await _request(exporting.api, "admin", {**DEMO_DAY, "clinic_id": "clinic-nowhere"})
    assert answer.status_code == 422
    assert [e["path"] for e in answer.json()["errors"]] == ["clinic_id"]


async def test_an_export_is_refused_with_503_when_the_access_log_cannot_record(
    api_without_broker: Api, tmp_path: Path
) -> None:
    key = tmp_path / "signing.key"
    create_key_file(key, name=ORIGIN)
    api = api_without_broker
    context = api.app.state.context
    queue = ExportQueue(
        exports=wire_exports(
            settings=Settings(signing_key_file=key), engine=api.engine, broker=_broker(api)
        ),
        directory=tmp_path,
    )
    api.app.state.context = replace(context, exports=queue)
    answer = await _request(api, "regulator", DEMO_DAY)
    assert answer.status_code == 503
    assert "retry-after" in answer.headers
    assert await queue.recent(requested_by=None, limit=10) == []


def _broker(api: Api) -> KafkaBroker:
    return make_broker(bootstrap_servers=api.bootstrap_servers)


async def test_stopping_the_server_leaves_the_unfinished_exports_failed_saying_why(
    exporting: Exporting,
) -> None:
    api = exporting.api
    ids = [(await _request(api, "regulator", DEMO_DAY)).json()["export_id"] for _ in range(2)]

    await exporting.queue.close()

    for export_id in ids:
        status = (
            await api.client.get(f"/v1/exports/{export_id}", headers=api.auth("admin"))
        ).json()
        assert status["status"] == "failed"
        assert "stopped" in status["error"]
    assert list(exporting.directory.iterdir()) == []
