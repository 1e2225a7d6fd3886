"""``kapaudit export`` end to end: the demo day recorded through the real broker,
exported by the CLI, and the bundle checked the way a regulator's verifier would."""

from __future__ import annotations

import asyncio
import json
import zipfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import bagit
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from typer.testing import CliRunner, Result

from services.adapters.kafka import EventPublisher
from services.adapters.sql.tables import event_log
from services.adapters.tansu import EmbeddedBroker
from services.chain import GENESIS_HASH, chain_hash
from services.chain.checkpoint import open_checkpoint
from services.chain.merkle import leaf_hash, verify_consistency
from services.chain.note import Verifier, open_note
from services.chain.tree_cover import root_from_cover
from services.cli.main import app
from services.demo import demo_day_events
from services.offline.bundle_format import manifest_note_text
from services.offline.verify import verify_bundle
from services.runtime import running_stack
from services.signing_keys import create_key_file
from tests.integration.support import settings_for, wait_until

ORIGIN = "kapaudit.local/log"
pytestmark = [pytest.mark.broker]


def _jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _check_bundle(bag_dir: Path, verifier: Verifier) -> dict[str, Any]:
    """Everything the offline verifier will check; returns the manifest."""
    bagit.Bag(str(bag_dir)).validate()
    manifest_bytes = (bag_dir / "manifest.json").read_bytes()
    opened = open_note((bag_dir / "manifest.sig").read_text(), verifiers=[verifier])
    assert opened.text == manifest_note_text(manifest_bytes)
    manifest = json.loads(manifest_bytes)
    checkpoint = open_checkpoint(
        (bag_dir / "data/proofs/checkpoint.txt").read_text(), verifiers=[verifier], origin=ORIGIN
    ).checkpoint
    assert manifest["checkpoint"]["size"] == checkpoint.size
    entries = _jsonl(bag_dir / "data/events.jsonl") + _jsonl(bag_dir / "data/access.jsonl")
    leaves = {e["index"]: leaf_hash(e["record"].encode("utf-8")) for e in entries}
    items = []
    for line in _jsonl(bag_dir / "data/proofs/tree.jsonl"):
        if "leaf" in line:
            items.append((line["leaf"], line["leaf"] + 1, leaves.pop(line["leaf"])))
        else:
            items.append((line["from"], line["to"], bytes.fromhex(line["hash"])))
    assert not leaves, "every exported entry is a leaf of tree.jsonl"
    assert root_from_cover(checkpoint.size, items) == checkpoint.root_hash
    streams: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for entry in entries:
        streams[entry["stream_id"]].append(entry)
    heads = {h["stream_id"]: h for h in _jsonl(bag_dir / "data/proofs/heads.jsonl")}
    for stream, chain in streams.items():
        chain.sort(key=lambda e: e["sequence"])
        previous = GENESIS_HASH
        for number, entry in enumerate(chain, start=1):
            assert (entry["sequence"], entry["prev_hash"]) == (number, previous)
            previous = chain_hash(prev_hash=previous, record=entry["record"].encode("utf-8"))
            assert entry["hash"] == previous
        assert (heads[stream]["sequence"], heads[stream]["hash"]) == (len(chain), previous)
    assert set(heads) == set(streams)
    for line in _jsonl(bag_dir / "data/proofs/consistency.jsonl"):
        verify_consistency(
            line["from_size"],
            checkpoint.size,
            bytes.fromhex(line["from_root"]),
            checkpoint.root_hash,
            [bytes.fromhex(h) for h in line["hashes"]],
        )
    return dict(manifest)


async def _access_records_by_cli(engine: AsyncEngine) -> int:
    query = select(func.count()).where(
        event_log.c.event_type == "access.recorded",
        event_log.c.event_json.like('%"token_name":"cli:%'),
    )
    async with engine.connect() as connection:
        return int((await connection.execute(query)).scalar_one())


async def _export(runner: CliRunner, env: dict[str, str], *args: str) -> Result:
    # In a thread: the command runs its own event loop.
    return await asyncio.to_thread(runner.invoke, app, ["export", *args], env=env)


async def test_the_demo_day_exported_by_the_cli_is_a_valid_signed_verifiable_bag(
    tmp_path: Path, kafka: EmbeddedBroker
) -> None:
    key = tmp_path / "signing.key"
    verifier = create_key_file(key, name=ORIGIN)
    url = f"sqlite+aiosqlite:///{tmp_path / 'kapaudit.db'}"
    settings = settings_for(
        bootstrap_servers=kafka.bootstrap_servers, database_url=url, signing_key_file=key
    )
    env = {
        "KAPAUDIT_DATABASE_URL": url,
        "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
        "KAPAUDIT_SIGNING_KEY_FILE": str(key),
    }
    runner = CliRunner()
    documents = demo_day_events()
    async with running_stack(settings, project=False, serve_http=False) as stack:
        async with EventPublisher(broker=stack.broker) as publisher:
            await publisher.publish_many(documents)

        async def recorded() -> bool:
            return await stack.store.count() >= len(documents)

        await wait_until(recorded, what="the demo day to be recorded")

        folder = tmp_path / "bundle"
        result = await _export(
            runner, env, "--clinic", "clinic-demo", "--from", "2026-11-24", "--to",
            "2026-11-24", "--out", str(folder),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        manifest = _check_bundle(folder, verifier)
        report = verify_bundle(folder, key=verifier)
        assert report.ok, [finding.line() for finding in report.findings]
        counts = manifest["counts"]
        assert counts["patients"] == 24
        assert counts["sessions"] == 24
        assert counts["fhir_audit_events"] == counts["events"]
        # The demo day's eight SPRAVATO sessions, each a Patient Monitoring Form row.
        assert counts["rems_forms"] == 8
        assert counts["report_sessions"] == 24
        assert f"{counts['events']} events" in result.output

        async def audited() -> bool:
            return await _access_records_by_cli(stack.engine) == counts["patients"]

        await wait_until(audited, what="one access record per exported patient")

        archive = tmp_path / "again.zip"
        result = await _export(
            runner, env, "--clinic", "clinic-demo", "--from", "2026-11-24", "--to",
            "2026-11-24", "--out", str(archive),
        )  # fmt: skip
        assert result.exit_code == 0, result.output
        with zipfile.ZipFile(archive) as opened:
            assert {name.split("/")[0] for name in opened.namelist()} == {"again"}
            opened.extractall(tmp_path / "unzipped")
        second = _check_bundle(tmp_path / "unzipped" / "again", verifier)
        # What the regulator runs: the zip as downloaded, against the first bundle.
        report = verify_bundle(archive, key=verifier, previous=folder)
        assert report.ok, [finding.line() for finding in report.findings]
        assert report.previous_size == manifest["checkpoint"]["size"]
        # The first export's disclosures are now in the log, and in the second bundle.
        assert second["counts"]["access"] >= counts["patients"]
        consistency = _jsonl(tmp_path / "unzipped/again/data/proofs/consistency.jsonl")
        assert [line["from_size"] for line in consistency] == [manifest["checkpoint"]["size"]]


def test_an_out_path_that_exists_is_refused_in_one_line_with_a_hint(tmp_path: Path) -> None:
    key = tmp_path / "signing.key"
    create_key_file(key, name=ORIGIN)
    (tmp_path / "taken").mkdir()
    result = CliRunner().invoke(
        app,
        ["export", "--clinic", "clinic-demo", "--from", "2026-11-24", "--to", "2026-11-24",
         "--out", str(tmp_path / "taken")],
        env={
            "KAPAUDIT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'k.db'}",
            "KAPAUDIT_SIGNING_KEY_FILE": str(key),
            "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1",
        },
    )  # fmt: skip
    assert result.exit_code == 2
    assert "exists already" in result.output
    assert "hint:" in result.output
