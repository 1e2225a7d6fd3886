"""``verify_bundle``: every check of ``docs/EXPORT-FORMAT.md`` on one bundle, offline.

The checks build on each other from the outside in: the bag's files against its
manifests, the signed manifest against the verifier key, the signed checkpoint against
the manifest, the entries against their own hashes, their chains and their heads, the
entries' leaves against the checkpoint's root, and with an earlier checkpoint, the
consistency proof between the two. Every check runs even when an earlier one failed,
so that one report names every problem; a check whose input is missing is skipped
(the missing input is reported instead).
"""

from __future__ import annotations

import collections
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from services.chain.checkpoint import Checkpoint, CheckpointError, open_checkpoint
from services.chain.links import ChainLink
from services.chain.merkle import ProofError, verify_consistency
from services.chain.note import NoteError, Verifier, open_note
from services.offline import bagit
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
    manifest_note_text,
)
from services.offline.bundle_reader import READ_ERRORS, Bundle, BundleError, open_bundle
from services.offline.chain_walk import ChainWalk
from services.offline.entry_files import EntryFiles
from services.offline.findings import NO_EVENT, Code, Finding
from services.offline.hashed_lines import HashedLines
from services.offline.previous import previous_checkpoint
from services.offline.tree_join import TreeJoin

__all__ = ["BundleReport", "Progress", "verify_bundle"]

Progress = Callable[[int, int | None], None]
"""Called with the entries checked so far and, when the manifest says, how many there are."""

_SMALL: Final = 64 << 20
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_TAG_FILES: Final = frozenset(
    {
        bagit.DECLARATION,
        bagit.BAG_INFO,
        bagit.PAYLOAD_MANIFEST,
        bagit.TAG_MANIFEST,
        MANIFEST_FILE,
        MANIFEST_SIGNATURE_FILE,
    }
)
_REQUIRED: Final = (
    *sorted(_TAG_FILES),
    EVENTS_FILE,
    ACCESS_FILE,
    FHIR_FILE,
    COMPLIANCE_CSV_FILE,
    COMPLIANCE_HTML_FILE,
    REMS_FILE,
    CONTROLLED_SUBSTANCES_FILE,
    CHECKPOINT_FILE,
    TREE_FILE,
    HEADS_FILE,
    CONSISTENCY_FILE,
)
_IN_MANIFEST_JSON: Final = (bagit.DECLARATION, bagit.BAG_INFO)
"""The tag files ``manifest.json`` lists besides the payload (``data/``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BundleReport:
    """The outcome: how many problems, the findings (unless streamed), what was checked."""

    problems: int
    findings: tuple[Finding, ...]
    """Every finding, or none when they went to ``on_finding`` as they were found."""
    entries: int
    streams: int
    checkpoint_size: int | None
    previous_size: int | None
    key: str

    @property
    def ok(self) -> bool:
        return self.problems == 0


def verify_bundle(
    path: Path,
    *,
    key: Verifier,
    previous: Path | None = None,
    on_finding: Callable[[Finding], None] | None = None,
    progress: Progress | None = None,
) -> BundleReport:
    """Check the bundle at ``path`` (directory or zip) with the log's verifier ``key``.

    ``previous`` is an earlier bundle or checkpoint note: this bundle's checkpoint must
    extend it. Raises ``FileNotFoundError`` when a path does not exist; every problem
    of the bundle itself is a finding.
    """
    run = _Run(key=key, on_finding=on_finding, progress=progress)
    run.check(path, previous)
    return BundleReport(
        problems=run.problems,
        findings=tuple(run.kept),
        entries=run.entries,
        streams=run.streams,
        checkpoint_size=None if run.checkpoint is None else run.checkpoint.size,
        previous_size=run.previous_size,
        key=str(key),
    )


@dataclass(frozen=True, slots=True)
class _Digest:
    sha256: str
    size: int


class _Run:
    def __init__(
        self,
        *,
        key: Verifier,
        on_finding: Callable[[Finding], None] | None,
        progress: Progress | None,
    ) -> None:
        self._key = key
        self._on_finding = on_finding
        self._progress = progress
        self._recent: collections.deque[tuple[str, str, Code]] = collections.deque(maxlen=16)
        self.kept: list[Finding] = []
        self.problems = 0
        self.entries = 0
        self.streams = 0
        self.checkpoint: Checkpoint | None = None
        self.previous_size: int | None = None
        self._digests: dict[str, _Digest | None] = {}
        """Per file read: its digest, or ``None`` when it could not be read whole."""

    # -- reporting ---------------------------------------------------------------------

    def emit(self, finding: Finding) -> None:
        # One line's checks can reach the same verdict twice (file order and chain
        # order both see a swap); once is enough.
        key = (finding.file, finding.event_id, finding.code)
        if finding.event_id != NO_EVENT and key in self._recent:
            return
        self._recent.append(key)
        self.problems += 1
        if self._on_finding is None:
            self.kept.append(finding)
        else:
            self._on_finding(finding)

    def _file(self, name: str, code: Code, message: str) -> None:
        self.emit(Finding(file=name, event_id=NO_EVENT, code=code, message=message))

    # -- the run -----------------------------------------------------------------------

    def check(self, path: Path, previous: Path | None) -> None:
        try:
            bundle = open_bundle(path)
        except BundleError as error:
            self._file(str(path), Code.MALFORMED, str(error))
            return
        with bundle:
            for problem in bundle.problems:
                self.emit(problem)
            self._check_bundle(bundle, previous)

    def _check_bundle(self, bundle: Bundle, previous: Path | None) -> None:
        files = bundle.files()
        declaration = self._small(bundle, bagit.DECLARATION)
        if declaration is not None:
            for problem in bagit.check_declaration(declaration):
                self._file(bagit.DECLARATION, Code.MALFORMED, problem)
        payload = self._manifest(bundle, bagit.PAYLOAD_MANIFEST)
        tags = self._manifest(bundle, bagit.TAG_MANIFEST)
        manifest_bytes = self._small(bundle, MANIFEST_FILE)
        self._check_manifest_signature(manifest_bytes, self._small(bundle, MANIFEST_SIGNATURE_FILE))
        manifest = self._manifest_json(manifest_bytes)
        origin = manifest.get("origin") if isinstance(manifest.get("origin"), str) else None
        self.checkpoint = self._checkpoint(self._small(bundle, CHECKPOINT_FILE), origin, manifest)
        heads = self._heads(bundle) if HEADS_FILE in files else {}
        counts: dict[str, Any] = manifest.get("counts") or {}
        if not isinstance(counts, dict):
            self._file(MANIFEST_FILE, Code.MALFORMED, "its counts block is not a map")
            counts = {}
        clinic = manifest.get("clinic_id") if isinstance(manifest.get("clinic_id"), str) else None
        entry_files = self._walk(bundle, files, heads=heads, counts=counts, clinic_id=clinic)
        for name in sorted(files):
            if name not in self._digests:
                self._hash(bundle, name)
        self._check_files(files, payload, tags, manifest)
        if entry_files is not None:
            self._check_counts(counts, entry_files)
        self._check_consistency(bundle, previous, origin or self._key.name)

    # -- small files, manifests and signatures ----------------------------------------

    def _small(self, bundle: Bundle, name: str) -> bytes | None:
        if name not in bundle.files():
            return None
        try:
            data = bundle.read(name, limit=_SMALL)
        except (*READ_ERRORS, BundleError) as error:
            self._digests[name] = None
            self._file(name, Code.MALFORMED, f"cannot be read: {error}")
            return None
        self._digests[name] = _Digest(hashlib.sha256(data).hexdigest(), len(data))
        return data

    def _hash(self, bundle: Bundle, name: str) -> None:
        try:
            with bundle.open(name) as stream:
                lines = HashedLines(stream=stream)
                lines.drain()
        except READ_ERRORS as error:
            self._digests[name] = None
            self._file(name, Code.MALFORMED, f"cannot be read: {error}")
            return
        self._digests[name] = _Digest(lines.sha256, lines.size)

    def _manifest(self, bundle: Bundle, name: str) -> bagit.Manifest | None:
        text = self._small(bundle, name)
        if text is None:
            return None
        manifest = bagit.parse_manifest(text)
        for problem in manifest.problems:
            self._file(name, Code.MALFORMED, problem)
        return manifest

    def _check_manifest_signature(self, manifest: bytes | None, signature: bytes | None) -> None:
        if manifest is None:
            return  # reported as a missing file
        if signature is None:
            self._file(
                MANIFEST_SIGNATURE_FILE,
                Code.SIGNATURE,
                "the manifest is not signed: manifest.sig is missing",
            )
            return
        try:
            note = open_note(signature, verifiers=[self._key])
        except NoteError as error:
            self._file(MANIFEST_SIGNATURE_FILE, Code.SIGNATURE, f"not signed by the key: {error}")
            return
        if note.text != manifest_note_text(manifest):
            self._file(
                MANIFEST_SIGNATURE_FILE,
                Code.SIGNATURE,
                "the key signed another manifest.json (its SHA-256 differs)",
            )

    def _manifest_json(self, data: bytes | None) -> dict[str, Any]:
        if data is None:
            return {}
        try:
            manifest = json.loads(data)
        except ValueError as error:
            self._file(MANIFEST_FILE, Code.MALFORMED, f"not JSON: {error}")
            return {}
        if not isinstance(manifest, dict):
            self._file(MANIFEST_FILE, Code.MALFORMED, "not a JSON object")
            return {}
        if manifest.get("format") != FORMAT:
            self._file(
                MANIFEST_FILE,
                Code.MALFORMED,
                f"format is {manifest.get('format')!r}; this verifier reads {FORMAT}",
            )
        return manifest

    def _checkpoint(
        self, note: bytes | None, origin: str | None, manifest: dict[str, Any]
    ) -> Checkpoint | None:
        if note is None:
            return None
        checkpoint: Checkpoint | None = None
        try:
            checkpoint = open_checkpoint(
                note, verifiers=[self._key], origin=origin or self._key.name
            ).checkpoint
        except NoteError as error:
            self._file(CHECKPOINT_FILE, Code.SIGNATURE, f"not signed by the key: {error}")
            # Go on with what it claims, so that the entries are still checked against it.
            checkpoint = _unverified(note)
            if checkpoint is None:
                self._file(CHECKPOINT_FILE, Code.MALFORMED, "not a checkpoint note")
        if checkpoint is not None and manifest:
            self._compare_checkpoint_block(checkpoint, manifest.get("checkpoint"))
        return checkpoint

    def _compare_checkpoint_block(self, checkpoint: Checkpoint, block: object) -> None:
        if not isinstance(block, dict):
            self._file(MANIFEST_FILE, Code.MALFORMED, "has no checkpoint block")
            return
        expected = {
            "size": checkpoint.size,
            "root": checkpoint.root_hash.hex(),
            "key_name": self._key.name,
            "key_id": f"{self._key.key_id:08x}",
        }
        for field, value in expected.items():
            if block.get(field) != value:
                self._file(
                    MANIFEST_FILE,
                    Code.CHECKPOINT_MISMATCH,
                    f"its checkpoint {field} is {block.get(field)!r}, but checkpoint.txt and "
                    f"the key say {value!r}",
                )

    def _heads(self, bundle: Bundle) -> dict[str, ChainLink]:
        heads: dict[str, ChainLink] = {}
        previous = ""
        try:
            with bundle.open(HEADS_FILE) as stream:
                lines = HashedLines(stream=stream)
                for number, line in enumerate(lines, 1):
                    head = _head(line)
                    if head is None:
                        self._file(HEADS_FILE, Code.MALFORMED, f"line {number} is not a head")
                        continue
                    stream_id, link = head
                    if stream_id <= previous:
                        self._file(
                            HEADS_FILE, Code.MALFORMED, f"line {number} is out of stream order"
                        )
                    previous = max(previous, stream_id)
                    heads[stream_id] = link
        except READ_ERRORS as error:
            self._digests[HEADS_FILE] = None
            self._file(HEADS_FILE, Code.MALFORMED, f"cannot be read: {error}")
            return heads
        self._digests[HEADS_FILE] = _Digest(lines.sha256, lines.size)
        return heads

    # -- entries, chains and the tree --------------------------------------------------

    def _walk(
        self,
        bundle: Bundle,
        files: frozenset[str],
        *,
        heads: dict[str, ChainLink],
        counts: dict[str, Any],
        clinic_id: str | None,
    ) -> EntryFiles | None:
        opened: dict[str, HashedLines] = {}
        total = sum(v for k, v in counts.items() if k in ("events", "access") and type(v) is int)
        progress = self._progress
        tick = None if progress is None else (lambda done: progress(done, total or None))
        try:
            for name in (EVENTS_FILE, ACCESS_FILE, TREE_FILE):
                if name in files:
                    opened[name] = HashedLines(stream=bundle.open(name))
            chain = ChainWalk(heads=heads)
            entry_files = EntryFiles(
                events=opened.get(EVENTS_FILE),
                access=opened.get(ACCESS_FILE),
                clinic_id=clinic_id,
                checkpoint_size=None if self.checkpoint is None else self.checkpoint.size,
                chain=chain,
                emit=self.emit,
                progress=tick,
            )
            self._join(entry_files, opened.get(TREE_FILE))
            for lines in opened.values():
                lines.drain()
        except READ_ERRORS as error:
            for name, lines in opened.items():
                if not lines.done:
                    self._digests[name] = None
                    self._file(name, Code.MALFORMED, f"cannot be read whole: {error}")
            return None
        finally:
            for lines in opened.values():
                lines.close()
        for name, lines in opened.items():
            self._digests[name] = _Digest(lines.sha256, lines.size)
        for finding in chain.finish():
            self.emit(finding)
        self.entries = entry_files.entries
        self.streams = chain.streams
        if tick is not None:
            tick(self.entries)
        return entry_files

    def _join(self, entry_files: EntryFiles, tree: HashedLines | None) -> None:
        checkpoint = self.checkpoint
        if tree is None or checkpoint is None:
            for _ in entry_files:
                pass  # still check every entry and its chain
            return
        join = TreeJoin(tree_lines=tree, entries=entry_files, emit=self.emit)
        root = join.root(checkpoint.size)
        if root is not None and root != checkpoint.root_hash:
            self._file(
                TREE_FILE,
                Code.NOT_IN_CHECKPOINT,
                f"the entries and gaps rebuild root {root.hex()}, not the checkpoint's "
                f"{checkpoint.root_hash.hex()}: some entry is not the one the log signed",
            )
        join.finish(report_unplaced=root is not None)

    # -- files against the manifests ---------------------------------------------------

    def _check_files(
        self,
        files: frozenset[str],
        payload: bagit.Manifest | None,
        tags: bagit.Manifest | None,
        manifest: dict[str, Any],
    ) -> None:
        listed = _listed_in_manifest_json(manifest)
        if manifest and listed is None:
            self._file(MANIFEST_FILE, Code.MALFORMED, "its files block is not a map of files")
        sources: list[tuple[str, dict[str, _Digest | str]]] = []
        if payload is not None:
            sources.append((bagit.PAYLOAD_MANIFEST, dict(payload.digests)))
        if tags is not None:
            sources.append((bagit.TAG_MANIFEST, dict(tags.digests)))
        if listed is not None:
            sources.append((MANIFEST_FILE, dict(listed)))
        names = set(files).union(*(s for _, s in sources)).union(_REQUIRED)
        for name in sorted(names):
            self._check_file(name, name in files, sources)

    def _check_file(
        self, name: str, present: bool, sources: list[tuple[str, dict[str, _Digest | str]]]
    ) -> None:
        claims = [(source, digests[name]) for source, digests in sources if name in digests]
        if not present:
            if name == MANIFEST_SIGNATURE_FILE and not claims:
                return  # reported as an unsigned manifest, the problem it makes
            where = ", ".join(source for source, _ in claims) or "the bundle format"
            self._file(name, Code.FILE_MISSING, f"missing; required by {where}")
            return
        should_list = [
            source
            for source, _ in sources
            if (source == bagit.PAYLOAD_MANIFEST and name.startswith("data/"))
            or (source == MANIFEST_FILE and (name.startswith("data/") or name in _IN_MANIFEST_JSON))
        ]
        unlisted = [source for source in should_list if source not in dict(claims)]
        if unlisted or (not name.startswith("data/") and name not in _TAG_FILES):
            where = ", ".join(unlisted) or "the bundle format"
            self._file(name, Code.FILE_ADDED, f"not listed in {where}")
        actual = self._digests.get(name)
        if actual is None:
            return  # unreadable: reported already
        wrong = [
            (source, claim)
            for source, claim in claims
            if (claim.sha256 if isinstance(claim, _Digest) else claim) != actual.sha256
            or (isinstance(claim, _Digest) and claim.size != actual.size)
        ]
        if wrong:
            said = "; ".join(f"{source} says {_describe(claim)}" for source, claim in wrong)
            self._file(
                name,
                Code.FILE_CHANGED,
                f"it has {actual.size} bytes, SHA-256 {actual.sha256}; {said}",
            )

    def _check_counts(self, counts: dict[str, Any], entry_files: EntryFiles) -> None:
        events = entry_files.tally(EVENTS_FILE)
        actual = {
            "events": events.lines,
            "access": entry_files.tally(ACCESS_FILE).lines,
            "streams": len(events.streams),
            "sessions": sum(1 for s in events.streams if s.split("/")[1:2] == ["session"]),
            "patients": len(events.patients),
        }
        for name, value in actual.items():
            if name in counts and counts[name] != value:
                self._file(
                    MANIFEST_FILE,
                    Code.COUNT_MISMATCH,
                    f"counts.{name} is {counts[name]!r}; the bundle holds {value}",
                )

    # -- consistency with earlier checkpoints ------------------------------------------

    def _check_consistency(self, bundle: Bundle, previous: Path | None, origin: str) -> None:
        proofs = self._proofs(bundle)
        checkpoint = self.checkpoint
        if checkpoint is not None:
            for number, proof in proofs.items():
                try:
                    verify_consistency(
                        proof.from_size,
                        checkpoint.size,
                        proof.from_root,
                        checkpoint.root_hash,
                        proof.hashes,
                    )
                except ProofError as error:
                    self._file(
                        CONSISTENCY_FILE,
                        Code.NOT_AN_EXTENSION,
                        f"line {number}: the checkpoint does not extend the tree of size "
                        f"{proof.from_size}: {error}",
                    )
        if previous is None:
            return
        old, findings = previous_checkpoint(previous, key=self._key, origin=origin)
        for finding in findings:
            self.emit(finding)
        if old is None or checkpoint is None:
            return
        self.previous_size = old.size
        self._extends(old, checkpoint, [p for p in proofs.values() if p.from_size == old.size])

    def _extends(self, old: Checkpoint, new: Checkpoint, proofs: list[_Proof]) -> None:
        def refuse(message: str) -> None:
            self._file(CONSISTENCY_FILE, Code.NOT_AN_EXTENSION, message)

        if old.size > new.size:
            refuse(f"the log shrank: the previous checkpoint has {old.size} leaves, now {new.size}")
            return
        if old.size == new.size:
            if old.root_hash != new.root_hash:
                refuse(f"history was rewritten: two roots for the tree of size {old.size}")
            return
        if not proofs:
            refuse(f"no consistency proof from the previous checkpoint's size {old.size}")
            return
        for proof in proofs:
            try:
                verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof.hashes)
            except ProofError as error:
                refuse(
                    f"history was rewritten: the checkpoint of size {new.size} does not extend "
                    f"the previous one of size {old.size} ({error})"
                )
                return

    def _proofs(self, bundle: Bundle) -> dict[int, _Proof]:
        proofs: dict[int, _Proof] = {}
        data = self._small(bundle, CONSISTENCY_FILE) if CONSISTENCY_FILE in bundle.files() else None
        for number, line in enumerate((data or b"").splitlines(), 1):
            proof = _proof(line)
            if proof is None:
                self._file(CONSISTENCY_FILE, Code.MALFORMED, f"line {number} is not a proof")
            else:
                proofs[number] = proof
        return proofs


@dataclass(frozen=True, slots=True)
class _Proof:
    from_size: int
    from_root: bytes
    hashes: list[bytes]


def _proof(line: bytes) -> _Proof | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.keys() != {"from_root", "from_size", "hashes"}:
        return None
    size, root, hashes = value["from_size"], value["from_root"], value["hashes"]
    if not (type(size) is int and size >= 0 and _is_hex64(root) and isinstance(hashes, list)):
        return None
    if not all(_is_hex64(h) for h in hashes):
        return None
    return _Proof(size, bytes.fromhex(root), [bytes.fromhex(h) for h in hashes])


def _head(line: bytes) -> tuple[str, ChainLink] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict) or value.keys() != {"hash", "sequence", "stream_id"}:
        return None
    sequence, digest, stream_id = value["sequence"], value["hash"], value["stream_id"]
    if type(sequence) is not int or sequence < 1 or not _is_hex64(digest):
        return None
    if not isinstance(stream_id, str) or not stream_id:
        return None
    return stream_id, ChainLink(sequence=sequence, hash=digest)


def _is_hex64(value: object) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


def _unverified(note: bytes) -> Checkpoint | None:
    text = note.decode("utf-8", errors="replace")
    split = text.rfind("\n\n")
    try:
        return Checkpoint.parse(text[: split + 1] if split >= 0 else text)
    except CheckpointError:
        return None


def _listed_in_manifest_json(manifest: dict[str, Any]) -> dict[str, _Digest] | None:
    files = manifest.get("files")
    if not isinstance(files, dict):
        return None
    listed: dict[str, _Digest] = {}
    for name, entry in files.items():
        if (
            not isinstance(entry, dict)
            or type(entry.get("bytes")) is not int
            or not _is_hex64(entry.get("sha256"))
        ):
            return None
        listed[name] = _Digest(entry["sha256"], entry["bytes"])
    return listed


def _describe(claim: _Digest | str) -> str:
    if isinstance(claim, _Digest):
        return f"{claim.size} bytes, SHA-256 {claim.sha256}"
    return f"SHA-256 {claim}"
