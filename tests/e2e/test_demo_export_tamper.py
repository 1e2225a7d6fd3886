"""The tamper suite over a real export: the demo day recorded through the real broker,
exported twice by the CLI, then changed the ways a clinic covering its tracks would.

The synthetic bundles of ``tests/unit/offline`` explore every code path of the verifier;
this suite shows that the bundles kapaudit really writes are caught the same way.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.adapters.kafka import EventPublisher
from services.adapters.tansu import EmbeddedBroker
from services.chain.checkpoint import Checkpoint, sign_checkpoint
from services.chain.links import chain_hash, record_bytes
from services.chain.merkle import leaf_hash
from services.chain.note import Signer, Verifier, generate_key, sign_note
from services.cli.main import app
from services.demo import demo_day_events
from services.offline.bundle_format import (
    CHECKPOINT_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    MANIFEST_SIGNATURE_FILE,
    REMS_FILE,
    TREE_FILE,
    manifest_note_text,
)
from services.offline.findings import NO_EVENT, Code
from services.offline.verify import BundleReport, verify_bundle
from services.runtime import running_stack
from services.signing_keys import create_key_file, load_signer
from tests.integration.support import settings_for, wait_until
from tests.support.synthetic_bundle import resign
from tests.unit.offline.bundle_edits import entries_of, line_of, read_lines, write_lines

ORIGIN = "kapaudit.local/log"
pytestmark = [pytest.mark.broker]


@dataclass(frozen=True, slots=True, kw_only=True)
class DemoExports:
    """Two exports of the demo day, the second made after the first was recorded."""

    first: Path
    second: Path
    verifier: Verifier
    signer: Signer
    signer_key: str
    """The signing key file's text: what an insider holding the key could sign with."""


@pytest.fixture(scope="module")
async def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoExports:
    root = tmp_path_factory.mktemp("demo-exports")
    key = root / "signing.key"
    verifier = create_key_file(key, name=ORIGIN)
    url = f"sqlite+aiosqlite:///{root / 'kapaudit.db'}"
    runner = CliRunner()
    documents = demo_day_events()
    async with EmbeddedBroker(port=0) as kafka:
        settings = settings_for(
            bootstrap_servers=kafka.bootstrap_servers, database_url=url, signing_key_file=key
        )
        env = {
            "KAPAUDIT_DATABASE_URL": url,
            "KAPAUDIT_KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap_servers,
            "KAPAUDIT_SIGNING_KEY_FILE": str(key),
        }
        async with running_stack(settings, project=False, serve_http=False) as stack:
            async with EventPublisher(broker=stack.broker) as publisher:
                await publisher.publish_many(documents)

            async def recorded() -> bool:
                return await stack.store.count() >= len(documents)

            await wait_until(recorded, what="the demo day to be recorded")
            for name in ("first", "second"):
                before = await stack.store.count()
                result = await asyncio.to_thread(
                    runner.invoke,
                    app,
                    ["export", "--clinic", "clinic-demo", "--from", "2026-11-24",
                     "--to", "2026-11-24", "--out", str(root / name)],
                    env=env,
                )  # fmt: skip
                assert result.exit_code == 0, result.output

                # The export's access records reach the log through the broker; the
                # second export must be of a longer log than the first, or the two
                # checkpoints are one and substituting them proves nothing.
                async def disclosed(before: int = before) -> bool:
                    return await stack.store.count() > before

                await wait_until(disclosed, what=f"the {name} export's access records")
    return DemoExports(
        first=root / "first",
        second=root / "second",
        verifier=verifier,
        signer=load_signer(key),
        signer_key=key.read_text().strip(),
    )


@pytest.fixture
def bundle(demo: DemoExports, tmp_path: Path) -> Path:
    """A copy of the second export to tamper with."""
    return Path(shutil.copytree(demo.second, tmp_path / "bundle"))


def _verify(demo: DemoExports, path: Path, *, previous: Path | None = None) -> BundleReport:
    return verify_bundle(path, key=demo.verifier, previous=previous)


def _found(report: BundleReport) -> set[tuple[str, str, Code]]:
    return {(f.file, f.event_id, f.code) for f in report.findings}


def _session_entries(bundle: Path) -> list[int]:
    """Line numbers of events.jsonl entries of one session with at least three entries."""
    by_stream: dict[str, list[int]] = {}
    for number, entry in enumerate(entries_of(bundle / EVENTS_FILE)):
        by_stream.setdefault(entry["stream_id"], []).append(number)
    return next(
        lines for stream, lines in by_stream.items() if "/session/" in stream and len(lines) >= 3
    )


def test_both_untouched_exports_verify_and_the_second_extends_the_first(
    demo: DemoExports, tmp_path: Path
) -> None:
    assert _verify(demo, demo.first).ok
    report = _verify(demo, demo.second, previous=demo.first)
    assert report.findings == ()
    assert report.entries > 400
    archive = Path(
        shutil.make_archive(str(tmp_path / "second"), "zip", demo.second.parent, "second")
    )
    assert _verify(demo, archive, previous=demo.first).ok


def test_one_byte_changed_in_an_event_is_that_event_changed(
    demo: DemoExports, bundle: Path
) -> None:
    path = bundle / EVENTS_FILE
    lines = read_lines(path)
    number = _session_entries(bundle)[1]
    entry = json.loads(lines[number])
    at = entry["record"].index('"occurred_at":"') + len('"occurred_at":"2026-11-2')
    entry["record"] = entry["record"][:at] + "5" + entry["record"][at + 1 :]
    lines[number] = line_of(entry)
    write_lines(path, lines)
    found = _found(_verify(demo, bundle))
    assert (EVENTS_FILE, entry["event_id"], Code.EVENT_CHANGED) in found
    assert (EVENTS_FILE, NO_EVENT, Code.FILE_CHANGED) in found


def test_one_event_dropped_is_missing_from_its_stream(demo: DemoExports, bundle: Path) -> None:
    path = bundle / EVENTS_FILE
    lines = read_lines(path)
    first, second, *_ = _session_entries(bundle)
    following = json.loads(lines[second])
    del lines[first]
    write_lines(path, lines)
    found = _found(_verify(demo, bundle))
    assert (EVENTS_FILE, following["event_id"], Code.EVENT_MISSING) in found


def test_two_events_swapped_are_reordered(demo: DemoExports, bundle: Path) -> None:
    path = bundle / EVENTS_FILE
    lines = read_lines(path)
    first, second, *_ = _session_entries(bundle)
    swapped = {json.loads(lines[n])["event_id"] for n in (first, second)}
    lines[first], lines[second] = lines[second], lines[first]
    write_lines(path, lines)
    found = _found(_verify(demo, bundle))
    assert {event for file, event, code in found if code is Code.EVENT_REORDERED} & swapped
    assert EVENTS_FILE in {file for file, _, code in found if code is Code.EVENT_REORDERED}


def test_one_event_duplicated_is_duplicated(demo: DemoExports, bundle: Path) -> None:
    path = bundle / EVENTS_FILE
    lines = read_lines(path)
    number = _session_entries(bundle)[1]
    lines.insert(number + 1, lines[number])
    write_lines(path, lines)
    found = _found(_verify(demo, bundle))
    assert (EVENTS_FILE, json.loads(lines[number])["event_id"], Code.EVENT_DUPLICATED) in found


def test_a_forged_event_with_a_valid_looking_hash_is_added_and_not_in_the_checkpoint(
    demo: DemoExports, bundle: Path
) -> None:
    path = bundle / EVENTS_FILE
    lines = read_lines(path)
    entries = [json.loads(line) for line in lines]
    stream = entries[_session_entries(bundle)[0]]["stream_id"]
    head = max((e for e in entries if e["stream_id"] == stream), key=lambda e: e["sequence"])
    event = json.loads(head["record"])["event"]
    event["event_id"] = "0badc0de-0000-4000-8000-000000000000"
    event_json = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    sequence = head["sequence"] + 1
    recorded_at = head["recorded_at"]
    record = record_bytes(
        event_json=event_json,
        stream_id=stream,
        sequence=sequence,
        recorded_at=datetime.fromisoformat(recorded_at.replace("Z", "+00:00")),
    )
    forged = {
        **head,
        "event_id": event["event_id"],
        "index": json.loads((bundle / MANIFEST_FILE).read_text())["checkpoint"]["size"],
        "sequence": sequence,
        "prev_hash": head["hash"],
        "hash": chain_hash(prev_hash=head["hash"], record=record),
        "record": record.decode("utf-8"),
    }
    lines.append(line_of(forged))
    write_lines(path, lines)
    # Even an insider who re-signs the manifest cannot put it into the signed tree.
    resign(bundle, demo.signer_key)
    report = _verify(demo, bundle)
    found = _found(report)
    assert (EVENTS_FILE, forged["event_id"], Code.EVENT_ADDED) in found
    assert (EVENTS_FILE, forged["event_id"], Code.NOT_IN_CHECKPOINT) in found
    assert not {Code.EVENT_CHANGED, Code.CHAIN_BROKEN} & {f.code for f in report.findings}


def test_a_replaced_report_is_a_changed_file(demo: DemoExports, bundle: Path) -> None:
    (bundle / REMS_FILE).write_text("session_id,patient_id\r\nnothing,to see\r\n")
    report = _verify(demo, bundle)
    assert [(f.file, f.code) for f in report.findings] == [(REMS_FILE, Code.FILE_CHANGED)]


def test_a_stripped_manifest_signature_is_caught(demo: DemoExports, bundle: Path) -> None:
    note = (bundle / MANIFEST_SIGNATURE_FILE).read_text()
    (bundle / MANIFEST_SIGNATURE_FILE).write_text(note.partition("\n\n")[0] + "\n\n")
    found = _found(_verify(demo, bundle))
    assert any(f == MANIFEST_SIGNATURE_FILE and c is Code.SIGNATURE for f, _, c in found)


def test_a_manifest_signed_with_another_key_is_caught(demo: DemoExports, bundle: Path) -> None:
    stranger = Signer.parse(generate_key(ORIGIN).signer)
    text = manifest_note_text((bundle / MANIFEST_FILE).read_bytes())
    (bundle / MANIFEST_SIGNATURE_FILE).write_text(sign_note(text, stranger))
    found = _found(_verify(demo, bundle))
    assert any(f == MANIFEST_SIGNATURE_FILE and c is Code.SIGNATURE for f, _, c in found)


def test_a_truncated_bag_is_caught(demo: DemoExports, bundle: Path, tmp_path: Path) -> None:
    path = bundle / EVENTS_FILE
    lines = read_lines(path)
    write_lines(path, lines[: len(lines) // 2])
    found = _found(_verify(demo, bundle))
    assert (EVENTS_FILE, NO_EVENT, Code.FILE_CHANGED) in found
    assert Code.EVENT_MISSING in {code for _, _, code in found}
    archive = Path(shutil.make_archive(str(tmp_path / "cut"), "zip", demo.second.parent, "second"))
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) * 2 // 3])
    assert not zipfile.is_zipfile(archive)
    report = _verify(demo, archive)
    assert [f.code for f in report.findings] == [Code.MALFORMED]


def test_the_checkpoint_of_a_shorter_log_substituted_is_caught(
    demo: DemoExports, bundle: Path
) -> None:
    shutil.copy(demo.first / CHECKPOINT_FILE, bundle / CHECKPOINT_FILE)
    found = _found(_verify(demo, bundle))
    assert (MANIFEST_FILE, NO_EVENT, Code.CHECKPOINT_MISMATCH) in found
    assert (TREE_FILE, NO_EVENT, Code.NOT_IN_CHECKPOINT) in found


def test_the_checkpoint_of_a_rewritten_log_substituted_is_caught(
    demo: DemoExports, bundle: Path
) -> None:
    # Signed with the clinic's own key: only the tree can tell the roots apart.
    real = Checkpoint.parse((bundle / CHECKPOINT_FILE).read_text().partition("\n\n")[0] + "\n")
    rewritten = Checkpoint(origin=real.origin, size=real.size, root_hash=leaf_hash(b"rewritten"))
    (bundle / CHECKPOINT_FILE).write_text(sign_checkpoint(rewritten, demo.signer))
    found = _found(_verify(demo, bundle))
    assert (TREE_FILE, NO_EVENT, Code.NOT_IN_CHECKPOINT) in found


def test_history_rewritten_between_two_exports_is_not_an_extension(
    demo: DemoExports, tmp_path: Path
) -> None:
    # What the regulator kept from the first export, had the clinic rewritten the log
    # since: a checkpoint of the same size whose root the second export does not extend.
    kept = Checkpoint.parse((demo.first / CHECKPOINT_FILE).read_text().partition("\n\n")[0] + "\n")
    other = Checkpoint(origin=kept.origin, size=kept.size, root_hash=leaf_hash(b"other history"))
    previous = tmp_path / "previous-checkpoint.txt"
    previous.write_text(sign_checkpoint(other, demo.signer))
    report = _verify(demo, demo.second, previous=previous)
    assert [f.code for f in report.findings] == [Code.NOT_AN_EXTENSION]
