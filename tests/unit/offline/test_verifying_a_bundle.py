"""``verify_bundle`` finds each kind of tampering and names its file, event and code."""

from __future__ import annotations

import json
from pathlib import Path

from services.chain.links import chain_hash
from services.chain.note import Verifier, generate_key
from services.offline.bundle_format import (
    ACCESS_FILE,
    CHECKPOINT_FILE,
    COMPLIANCE_CSV_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    MANIFEST_SIGNATURE_FILE,
    TREE_FILE,
)
from services.offline.findings import NO_EVENT, Code, Finding
from services.offline.verify import BundleReport, verify_bundle
from tests.support.synthetic_bundle import SyntheticBundle, build_bundle, rebag, resign, zip_bundle
from tests.unit.offline.bundle_edits import entries_of, line_of, read_lines, write_lines


def _verify(bundle: SyntheticBundle, path: Path | None = None) -> BundleReport:
    return verify_bundle(path or bundle.path, key=Verifier.parse(bundle.verifier))


def _found(report: BundleReport) -> set[tuple[str, str, Code]]:
    return {(f.file, f.event_id, f.code) for f in report.findings}


def _codes(report: BundleReport) -> set[Code]:
    return {f.code for f in report.findings}


def test_an_untouched_bundle_verifies_as_a_directory(bundle: SyntheticBundle) -> None:
    report = _verify(bundle)
    assert report.findings == ()
    assert report.ok
    assert report.entries == 120
    assert report.checkpoint_size == bundle.size


def test_an_untouched_bundle_verifies_as_a_zip(bundle: SyntheticBundle, tmp_path: Path) -> None:
    archive = zip_bundle(bundle.path, tmp_path / "export.zip")
    report = _verify(bundle, archive)
    assert report.findings == ()
    assert report.entries == 120


def test_one_byte_changed_in_a_record_is_that_event_changed(bundle: SyntheticBundle) -> None:
    path = bundle.path / EVENTS_FILE
    lines = read_lines(path)
    entry = json.loads(lines[30])
    entry["record"] = entry["record"].replace('"spo2_percent":97', '"spo2_percent":87')
    lines[30] = line_of(entry)
    write_lines(path, lines)
    found = _found(_verify(bundle))
    assert (EVENTS_FILE, entry["event_id"], Code.EVENT_CHANGED) in found
    assert (EVENTS_FILE, NO_EVENT, Code.FILE_CHANGED) in found
    assert (TREE_FILE, NO_EVENT, Code.NOT_IN_CHECKPOINT) in found


def test_a_line_that_disagrees_with_its_record_is_that_event_changed(
    bundle: SyntheticBundle,
) -> None:
    path = bundle.path / EVENTS_FILE
    lines = read_lines(path)
    entry = json.loads(lines[3])
    entry["occurred_at"] = "2020-01-01T00:00:00Z"
    lines[3] = line_of(entry)
    write_lines(path, lines)
    report = _verify(bundle)
    changed = [f for f in report.findings if f.code is Code.EVENT_CHANGED]
    assert [(f.event_id, "occurred_at" in f.message) for f in changed] == [
        (entry["event_id"], True)
    ]


def test_a_dropped_event_is_missing_before_the_next_one_of_its_stream(
    bundle: SyntheticBundle,
) -> None:
    path = bundle.path / EVENTS_FILE
    entries = entries_of(path)
    dropped = entries[20]
    following = next(e for e in entries[21:] if e["stream_id"] == dropped["stream_id"])
    write_lines(path, [line_of(e) for e in entries if e is not dropped])
    found = _found(_verify(bundle))
    assert (EVENTS_FILE, following["event_id"], Code.EVENT_MISSING) in found
    assert (TREE_FILE, NO_EVENT, Code.EVENT_MISSING) in found


def test_a_dropped_last_event_leaves_its_stream_short_of_its_head(
    bundle: SyntheticBundle,
) -> None:
    path = bundle.path / EVENTS_FILE
    lines = read_lines(path)
    write_lines(path, lines[:-1])
    report = _verify(bundle)
    missing = [f for f in report.findings if f.code is Code.EVENT_MISSING and f.file == EVENTS_FILE]
    assert len(missing) == 1
    assert "its head at the checkpoint" in missing[0].message


def test_two_swapped_events_are_reordered_but_still_in_the_checkpoint(
    bundle: SyntheticBundle,
) -> None:
    path = bundle.path / EVENTS_FILE
    lines = read_lines(path)
    first, second = json.loads(lines[10]), json.loads(lines[11])
    lines[10], lines[11] = lines[11], lines[10]
    write_lines(path, lines)
    report = _verify(bundle)
    assert (EVENTS_FILE, first["event_id"], Code.EVENT_REORDERED) in _found(report)
    assert (EVENTS_FILE, second["event_id"], Code.EVENT_REORDERED) not in _found(report)
    assert _codes(report) == {Code.EVENT_REORDERED, Code.FILE_CHANGED}


def test_two_swapped_events_of_one_stream_are_reordered(bundle: SyntheticBundle) -> None:
    path = bundle.path / EVENTS_FILE
    entries = entries_of(path)
    stream = entries[8]["stream_id"]
    at = [i for i, e in enumerate(entries) if e["stream_id"] == stream][2:4]
    entries[at[0]], entries[at[1]] = entries[at[1]], entries[at[0]]
    write_lines(path, [line_of(e) for e in entries])
    report = _verify(bundle)
    late = entries[at[1]]["event_id"]
    assert (EVENTS_FILE, late, Code.EVENT_REORDERED) in _found(report)
    assert Code.EVENT_MISSING not in _codes(report)
    assert Code.CHAIN_BROKEN not in _codes(report)


def test_a_duplicated_event_is_reported_as_duplicated(bundle: SyntheticBundle) -> None:
    path = bundle.path / EVENTS_FILE
    lines = read_lines(path)
    lines.insert(41, lines[40])
    write_lines(path, lines)
    report = _verify(bundle)
    assert (EVENTS_FILE, json.loads(lines[40])["event_id"], Code.EVENT_DUPLICATED) in _found(report)
    assert Code.NOT_IN_CHECKPOINT not in _codes(report)


def test_a_forged_event_with_a_valid_chain_hash_is_added_and_not_in_the_checkpoint(
    bundle: SyntheticBundle,
) -> None:
    path = bundle.path / EVENTS_FILE
    entries = entries_of(path)
    last = entries[-1]
    record = last["record"].replace(
        f'"sequence":{last["sequence"]}', f'"sequence":{last["sequence"] + 1}'
    )
    forged = {
        **last,
        "index": bundle.size,
        "sequence": last["sequence"] + 1,
        "prev_hash": last["hash"],
        "hash": chain_hash(prev_hash=last["hash"], record=record.encode()),
        "record": record,
        "event_id": "00000000-0000-4000-8000-00000000f0f0",
    }
    forged["record"] = record.replace(last["event_id"], forged["event_id"])
    forged["hash"] = chain_hash(prev_hash=last["hash"], record=forged["record"].encode())
    write_lines(path, [*map(line_of, entries), line_of(forged)])
    # Even an insider who re-signs the manifest cannot put it into the signed tree.
    resign(bundle.path, bundle.signer)
    report = _verify(bundle)
    found = _found(report)
    assert (EVENTS_FILE, forged["event_id"], Code.EVENT_ADDED) in found
    assert (EVENTS_FILE, forged["event_id"], Code.NOT_IN_CHECKPOINT) in found
    assert Code.EVENT_CHANGED not in _codes(report)
    assert Code.CHAIN_BROKEN not in _codes(report)


def test_a_rehashed_chain_link_is_broken(bundle: SyntheticBundle) -> None:
    path = bundle.path / EVENTS_FILE
    entries = entries_of(path)
    entry = entries[50]
    entry["prev_hash"] = "ab" * 32
    entry["hash"] = chain_hash(prev_hash=entry["prev_hash"], record=entry["record"].encode())
    write_lines(path, [line_of(e) for e in entries])
    found = _found(_verify(bundle))
    assert (EVENTS_FILE, entry["event_id"], Code.CHAIN_BROKEN) in found


def test_a_replaced_report_is_a_changed_file(bundle: SyntheticBundle) -> None:
    (bundle.path / COMPLIANCE_CSV_FILE).write_text("session_id,rule_id,status\nall,ok,pass\n")
    rebag(bundle.path)
    report = _verify(bundle)
    assert [(f.file, f.code) for f in report.findings] == [(COMPLIANCE_CSV_FILE, Code.FILE_CHANGED)]
    assert "manifest.json says" in report.findings[0].message


def test_an_added_file_is_reported_as_added(bundle: SyntheticBundle) -> None:
    (bundle.path / "data" / "notes.txt").write_text("nothing to see\n")
    report = _verify(bundle)
    assert [(f.file, f.code) for f in report.findings] == [("data/notes.txt", Code.FILE_ADDED)]


def test_a_missing_file_is_reported_as_missing(bundle: SyntheticBundle) -> None:
    (bundle.path / ACCESS_FILE).unlink()
    found = _found(_verify(bundle))
    assert (ACCESS_FILE, NO_EVENT, Code.FILE_MISSING) in found


def test_a_stripped_manifest_signature_is_a_signature_finding(bundle: SyntheticBundle) -> None:
    (bundle.path / MANIFEST_SIGNATURE_FILE).unlink()
    rebag(bundle.path)
    report = _verify(bundle)
    assert [(f.file, f.code) for f in report.findings] == [
        (MANIFEST_SIGNATURE_FILE, Code.SIGNATURE)
    ]


def test_a_manifest_signed_with_another_key_is_a_signature_finding(
    bundle: SyntheticBundle,
) -> None:
    resign(bundle.path, generate_key("kapaudit.test/log").signer)
    report = _verify(bundle)
    assert [(f.file, f.code) for f in report.findings] == [
        (MANIFEST_SIGNATURE_FILE, Code.SIGNATURE)
    ]


def test_a_bundle_checked_with_another_key_fails_both_signatures(
    bundle: SyntheticBundle,
) -> None:
    other = Verifier.parse(generate_key("kapaudit.test/log").verifier)
    report = verify_bundle(bundle.path, key=other)
    signatures = {f.file for f in report.findings if f.code is Code.SIGNATURE}
    assert signatures == {MANIFEST_SIGNATURE_FILE, CHECKPOINT_FILE}


def test_a_file_cut_short_is_changed_and_its_last_line_malformed(
    bundle: SyntheticBundle,
) -> None:
    path = bundle.path / EVENTS_FILE
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    found = _found(_verify(bundle))
    assert (EVENTS_FILE, NO_EVENT, Code.FILE_CHANGED) in found
    assert any(f == EVENTS_FILE and c is Code.MALFORMED for f, _, c in found)


def test_a_zip_cut_short_is_malformed(bundle: SyntheticBundle, tmp_path: Path) -> None:
    archive = zip_bundle(bundle.path, tmp_path / "export.zip")
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) - 200])
    report = _verify(bundle, archive)
    assert [(f.file, f.code) for f in report.findings] == [(str(archive), Code.MALFORMED)]
    assert not report.ok


def test_the_checkpoint_of_a_shorter_log_does_not_match_the_bundle(
    bundle: SyntheticBundle,
) -> None:
    (bundle.path / CHECKPOINT_FILE).write_text(bundle.earlier[97])
    rebag(bundle.path)
    report = _verify(bundle)
    found = _found(report)
    assert (MANIFEST_FILE, NO_EVENT, Code.CHECKPOINT_MISMATCH) in found
    assert (TREE_FILE, NO_EVENT, Code.NOT_IN_CHECKPOINT) in found
    assert Code.SIGNATURE not in _codes(report)


def test_the_checkpoint_of_a_rewritten_log_does_not_match_the_bundle(
    bundle: SyntheticBundle, tmp_path: Path
) -> None:
    rewritten = build_bundle(
        tmp_path / "rewritten",
        entries=120,
        streams=7,
        access_streams=2,
        foreign_every=5,
        foreign_salt="rewritten",
        key=bundle.signer,
    )
    (bundle.path / CHECKPOINT_FILE).write_bytes((rewritten.path / CHECKPOINT_FILE).read_bytes())
    rebag(bundle.path)
    report = _verify(bundle)
    mismatch = [f for f in report.findings if f.code is Code.CHECKPOINT_MISMATCH]
    assert ["root" in f.message for f in mismatch] == [True]
    assert (TREE_FILE, NO_EVENT, Code.NOT_IN_CHECKPOINT) in _found(report)


def test_a_zip_member_climbing_out_of_the_bag_is_refused(
    bundle: SyntheticBundle, tmp_path: Path
) -> None:
    import zipfile

    archive = zip_bundle(bundle.path, tmp_path / "export.zip")
    with zipfile.ZipFile(archive, "a") as zipped:
        zipped.writestr("bag/../../evil.txt", "x")
    report = _verify(bundle, archive)
    assert report.findings == (
        Finding(
            file="bag/../../evil.txt",
            event_id=NO_EVENT,
            code=Code.MALFORMED,
            message="ignored: outside the bag folder or escaping it (..)",
        ),
    )
    assert not (tmp_path.parent / "evil.txt").exists()
