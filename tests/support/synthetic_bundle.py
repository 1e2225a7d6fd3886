"""A valid export bundle built from nothing, for the verifier's tests and benchmark.

It writes what ``docs/EXPORT-FORMAT.md`` specifies, with real chains, a real RFC 6962
tree (computed here, independently of the verifier's fold), a signed checkpoint and a
signed manifest, streaming entries to disk so that a million of them fit. Entries of
other clinics (not exported) sit between the exported ones as ``foreign`` leaves, so
that ``tree.jsonl`` has gaps. Report files are placeholders: they are checked by hash.
"""

from __future__ import annotations

import hashlib
import json
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from services.chain.checkpoint import Checkpoint, sign_checkpoint
from services.chain.links import GENESIS_HASH, chain_hash, record_bytes
from services.chain.merkle import consistency_proof, leaf_hash, node_hash
from services.chain.note import Signer, generate_key, sign_note
from services.chain.tree_cover import CoverLeaf, plan_cover
from services.offline.bundle_format import (
    ACCESS_FILE,
    CHECKPOINT_FILE,
    COMPLIANCE_CSV_FILE,
    COMPLIANCE_HTML_FILE,
    CONSISTENCY_FILE,
    CONTROLLED_SUBSTANCES_FILE,
    EVENTS_FILE,
    FHIR_FILE,
    FORMAT,
    HEADS_FILE,
    MANIFEST_FILE,
    MANIFEST_SIGNATURE_FILE,
    REMS_FILE,
    TREE_FILE,
    EntryLine,
    encode_line,
    manifest_note_text,
)

__all__ = [
    "ORIGIN",
    "SyntheticBundle",
    "build_bundle",
    "rebag",
    "resign",
    "zip_bundle",
]

ORIGIN: Final = "kapaudit.test/log"
CLINIC: Final = "clinic-synthetic"
_BASE_TIME: Final = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
_PLACEHOLDERS: Final = {
    FHIR_FILE: b'{"entry":[],"resourceType":"Bundle","type":"collection"}\n',
    COMPLIANCE_CSV_FILE: b"session_id,rule_id,status\n",
    COMPLIANCE_HTML_FILE: b"<!doctype html><title>Compliance report</title>\n",
    REMS_FILE: b"form_id,patient_id\n",
    CONTROLLED_SUBSTANCES_FILE: b"date,substance,amount_mg\n",
}
_TAG_FILES: Final = ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", MANIFEST_FILE)


@dataclass(frozen=True, slots=True, kw_only=True)
class SyntheticBundle:
    """What was built, and what a test needs to tamper with it or check it."""

    path: Path
    verifier: str
    signer: str = field(repr=False)
    size: int
    """The checkpoint's tree size (exported and foreign leaves)."""
    entries: int
    earlier: dict[int, str]
    """A signed checkpoint note of the log at each earlier size asked for."""


class _Tree:
    """Leaf hashes in one bytearray and the RFC 6962 hash of any range of them."""

    def __init__(self, size: int) -> None:
        self.leaves = bytearray(32 * size)

    def set(self, index: int, digest: bytes) -> None:
        self.leaves[32 * index : 32 * index + 32] = digest

    def mth(self, start: int, end: int) -> bytes:
        if end - start == 1:
            return bytes(self.leaves[32 * start : 32 * start + 32])
        middle = start + (1 << ((end - start - 1).bit_length() - 1))
        return node_hash(self.mth(start, middle), self.mth(middle, end))

    def node(self, level: int, index: int, /) -> bytes:
        return self.mth(index << level, (index + 1) << level)


def _kind(stream: int, streams: int, access_streams: int) -> str:
    if stream >= streams - access_streams:
        return "access"
    return "patient" if stream % 10 == 8 else "session"


def _event(*, kind: str, stream: int, entry: int, seed: str, patients: int) -> dict[str, Any]:
    patient = f"pt-{stream:05d}" if kind != "session" else f"pt-{stream % patients:05d}"
    event_id = str(uuid.UUID(bytes=hashlib.sha256(f"{seed}:{entry}".encode()).digest()[:16]))
    occurred = (_BASE_TIME + timedelta(seconds=entry)).isoformat().replace("+00:00", "-07:00")
    return {
        "actor": {"id": "rn-lindqvist", "role": "nurse"},
        "clinic_id": CLINIC,
        "event_id": event_id,
        "event_type": "access.recorded" if kind == "access" else "vitals.recorded",
        "occurred_at": occurred,
        "patient_id": patient,
        "payload": {"heart_rate_bpm": 60 + entry % 40, "spo2_percent": 97, "systolic": 120},
        "schema_version": 1,
        "session_id": f"sess-{stream:05d}" if kind == "session" else None,
        "source": "synthetic/1",
    }


def build_bundle(
    directory: Path,
    *,
    entries: int,
    streams: int,
    access_streams: int = 0,
    foreign_every: int = 0,
    foreign_run: int = 3,
    earlier_sizes: Sequence[int] = (),
    seed: str = "seed",
    foreign_salt: str = "other clinics",
    key: str | None = None,
) -> SyntheticBundle:
    """Write a bag of ``entries`` entries, round-robin over ``streams`` streams, to
    ``directory``; after every ``foreign_every`` entries come ``foreign_run`` leaves of
    other clinics, and the log ends with such a run. ``key`` is a signer key string (a
    fresh one by default)."""
    signer_key = key or generate_key(ORIGIN).signer
    signer = Signer.parse(signer_key)
    # A run before every foreign_every-th entry but the first, and one at the end.
    runs = (entries - 1) // foreign_every + 1 if foreign_every and entries else 0
    foreign_total = foreign_run * runs
    size = entries + foreign_total
    tree = _Tree(size)
    exported: list[int] = []
    heads: dict[str, tuple[int, str]] = {}
    patients = max(1, streams // 3)
    directory.mkdir(parents=True)
    written: dict[str, tuple[str, int]] = {}
    index = 0
    with (
        _HashingFile(directory, EVENTS_FILE) as events,
        _HashingFile(directory, ACCESS_FILE) as access,
    ):
        for entry in range(entries):
            if foreign_every and entry and entry % foreign_every == 0:
                index = _foreign(tree, index, foreign_run, foreign_salt)
            stream = entry % streams
            kind = _kind(stream, streams, access_streams)
            name = f"sess-{stream:05d}" if kind == "session" else f"pt-{stream:05d}"
            stream_id = f"{CLINIC}/{kind}/{name}"
            event = _event(kind=kind, stream=stream, entry=entry, seed=seed, patients=patients)
            sequence, prev_hash = heads.get(stream_id, (0, GENESIS_HASH))
            recorded_at = _BASE_TIME + timedelta(milliseconds=entry)
            record = record_bytes(
                event_json=json.dumps(event, sort_keys=True, separators=(",", ":")),
                stream_id=stream_id,
                sequence=sequence + 1,
                recorded_at=recorded_at,
            )
            digest = chain_hash(prev_hash=prev_hash, record=record)
            line = EntryLine(
                index=index,
                stream_id=stream_id,
                sequence=sequence + 1,
                event_id=event["event_id"],
                event_type=event["event_type"],
                occurred_at=event["occurred_at"],
                recorded_at=recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                prev_hash=prev_hash,
                hash=digest,
                record=record.decode("utf-8"),
            )
            (access if kind == "access" else events).write(line.to_json().encode("utf-8"))
            heads[stream_id] = (sequence + 1, digest)
            tree.set(index, leaf_hash(record))
            exported.append(index)
            index += 1
        _foreign(tree, index, foreign_run if foreign_every else 0, foreign_salt)
    written[EVENTS_FILE] = events.result
    written[ACCESS_FILE] = access.result
    root = tree.mth(0, size) if size else hashlib.sha256(b"").digest()
    checkpoint_note = sign_checkpoint(Checkpoint(origin=ORIGIN, size=size, root_hash=root), signer)
    with _HashingFile(directory, TREE_FILE) as proof:
        for item in plan_cover(size, exported):
            if isinstance(item, CoverLeaf):
                proof.write(encode_line({"leaf": item.index}).encode())
            else:
                gap_hash = tree.mth(item.start, item.end).hex()
                gap = {"from": item.start, "hash": gap_hash, "to": item.end}
                proof.write(encode_line(gap).encode())
    written[TREE_FILE] = proof.result
    earlier: dict[int, str] = {}
    consistency: list[bytes] = []
    for old in earlier_sizes:
        old_root = tree.mth(0, old) if old else hashlib.sha256(b"").digest()
        old_checkpoint = Checkpoint(origin=ORIGIN, size=old, root_hash=old_root)
        earlier[old] = sign_checkpoint(old_checkpoint, signer)
        hashes = [h.hex() for h in consistency_proof(old, size, tree.node)] if old != size else []
        proof_line = {"from_root": old_root.hex(), "from_size": old, "hashes": hashes}
        consistency.append(encode_line(proof_line).encode())
    small = {
        **_PLACEHOLDERS,
        CHECKPOINT_FILE: checkpoint_note.encode(),
        HEADS_FILE: b"".join(
            encode_line({"hash": h, "sequence": s, "stream_id": sid}).encode()
            for sid, (s, h) in sorted(heads.items())
        ),
        CONSISTENCY_FILE: b"".join(consistency),
    }
    for name, data in small.items():
        _write(directory, name, data)
        written[name] = (hashlib.sha256(data).hexdigest(), len(data))
    _write(directory, "bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    payload_bytes = sum(n for _, n in written.values())
    _write(
        directory,
        "bag-info.txt",
        f"Source-Organization: {CLINIC}\nBagging-Date: 2026-11-25\n"
        f"Payload-Oxum: {payload_bytes}.{len(written)}\n".encode(),
    )
    event_streams = [s for s in heads if "/access/" not in s]
    counts = {
        "access": sum(s for sid, (s, _) in heads.items() if "/access/" in sid),
        "events": sum(s for sid, (s, _) in heads.items() if "/access/" not in sid),
        "patients": len({_patient_of(s, patients) for s in event_streams}),
        "sessions": sum(1 for s in event_streams if "/session/" in s),
        "streams": len(event_streams),
    }
    _write_manifests(directory, signer, size=size, root=root, counts=counts, written=written)
    return SyntheticBundle(
        path=directory,
        verifier=str(signer.verifier),
        signer=signer_key,
        size=size,
        entries=entries,
        earlier=earlier,
    )


def _patient_of(stream_id: str, patients: int) -> str:
    kind, name = stream_id.split("/")[1:]
    return name if kind != "session" else f"pt-{int(name[5:]) % patients:05d}"


def _foreign(tree: _Tree, index: int, run: int, salt: str) -> int:
    for _ in range(run):
        tree.set(index, hashlib.sha256(f"{salt}:{index}".encode()).digest())
        index += 1
    return index


def _write_manifests(
    directory: Path,
    signer: Signer,
    *,
    size: int,
    root: bytes,
    counts: dict[str, int],
    written: dict[str, tuple[str, int]],
) -> None:
    files = dict(written)
    for name in ("bagit.txt", "bag-info.txt"):
        data = (directory / name).read_bytes()
        files[name] = (hashlib.sha256(data).hexdigest(), len(data))
    manifest = {
        "checkpoint": {
            "key_id": f"{signer.key_id:08x}",
            "key_name": signer.name,
            "root": root.hex(),
            "size": size,
        },
        "clinic_id": CLINIC,
        "counts": counts,
        "created_at": "2026-11-25T09:12:03.123456Z",
        "export_id": "exp-synthetic",
        "files": {n: {"bytes": b, "sha256": h} for n, (h, b) in sorted(files.items())},
        "format": FORMAT,
        "from": "2026-11-24T07:00:00Z",
        "origin": ORIGIN,
        "patient_id": None,
        "to": "2026-11-25T07:00:00Z",
    }
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    _write(directory, MANIFEST_FILE, data)
    _write(directory, MANIFEST_SIGNATURE_FILE, sign_note(manifest_note_text(data), signer).encode())
    rebag(directory)


def rebag(directory: Path) -> None:
    """Rewrite the two BagIt manifests to match the files as they are now: what anyone
    who changed a file can do, key or no key."""
    payload = sorted(
        p.relative_to(directory).as_posix() for p in (directory / "data").rglob("*") if p.is_file()
    )
    _write(directory, "manifest-sha256.txt", _manifest_lines(directory, payload))
    tags = [n for n in (*_TAG_FILES, MANIFEST_SIGNATURE_FILE) if (directory / n).exists()]
    _write(directory, "tagmanifest-sha256.txt", _manifest_lines(directory, tags))


def resign(directory: Path, key: str) -> None:
    """Rewrite ``manifest.json``'s file list and sign it again: what only the holder of
    the signing key can do."""
    manifest = json.loads((directory / MANIFEST_FILE).read_bytes())
    names = sorted(
        p.relative_to(directory).as_posix() for p in (directory / "data").rglob("*") if p.is_file()
    )
    files = {}
    for name in [*names, "bagit.txt", "bag-info.txt"]:
        data = (directory / name).read_bytes()
        files[name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    manifest["files"] = dict(sorted(files.items()))
    data = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
    _write(directory, MANIFEST_FILE, data)
    signed = sign_note(manifest_note_text(data), Signer.parse(key))
    _write(directory, MANIFEST_SIGNATURE_FILE, signed.encode())
    rebag(directory)


def zip_bundle(directory: Path, target: Path) -> Path:
    """The bag as a zip holding its folder, as ``kapaudit export --zip`` ships it."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, f"{directory.name}/{path.relative_to(directory).as_posix()}")
    return target


def _manifest_lines(directory: Path, names: Iterable[str]) -> bytes:
    return b"".join(f"{_file_sha256(directory / name)}  {name}\n".encode() for name in names)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write(directory: Path, name: str, data: bytes) -> None:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


class _HashingFile:
    """A file written in pieces, with its SHA-256 and size kept as it grows."""

    def __init__(self, directory: Path, name: str) -> None:
        self._path = directory / name
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._digest = hashlib.sha256()
        self._size = 0

    def __enter__(self) -> _HashingFile:
        self._file = self._path.open("wb")
        return self

    def write(self, data: bytes) -> None:
        self._digest.update(data)
        self._size += len(data)
        self._file.write(data)

    def __exit__(self, *exc: object) -> None:
        self._file.close()

    @property
    def result(self) -> tuple[str, int]:
        return self._digest.hexdigest(), self._size
