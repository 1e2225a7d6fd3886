"""``events.jsonl`` and ``access.jsonl`` read side by side, merged into log order.

Both files ascend by leaf index, and the batch inclusion proof wants the leaves in that
order, so the two are merged as they are read, hashed for the manifests at the same
time: each file is read once, and only two lines are held at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Final

from services.offline.bundle_format import ACCESS_FILE, EVENTS_FILE
from services.offline.chain_walk import ChainWalk
from services.offline.entry_check import CheckedEntry, check_line
from services.offline.findings import NO_EVENT, Code, Finding
from services.offline.hashed_lines import HashedLines

__all__ = ["EntryFiles", "FileTally"]

_PROGRESS_EVERY: Final = 4096


@dataclass(slots=True, kw_only=True)
class FileTally:
    """What one entry file held, for the manifest's counts."""

    lines: int = 0
    streams: set[str] = field(default_factory=set)
    patients: set[str] = field(default_factory=set)


class _OneFile:
    def __init__(self, *, name: str, lines: HashedLines, kind: tuple[str, ...]) -> None:
        self.name = name
        self.lines = lines
        self.kind = kind
        self.tally = FileTally()
        self._source = iter(lines)
        self._last_index = -1
        self.number = 0

    def next_line(self) -> bytes | None:
        line = next(self._source, None)
        if line is not None:
            self.number += 1
        return line


class EntryFiles:
    """Yield the entries of both files in index order; report what each line breaks."""

    def __init__(
        self,
        *,
        events: HashedLines | None,
        access: HashedLines | None,
        clinic_id: str | None,
        checkpoint_size: int | None,
        chain: ChainWalk,
        emit: Callable[[Finding], None],
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self._files = [
            _OneFile(name=name, lines=lines, kind=kind)
            for name, lines, kind in (
                (EVENTS_FILE, events, ("session", "patient")),
                (ACCESS_FILE, access, ("access",)),
            )
            if lines is not None
        ]
        self._clinic_prefix = None if clinic_id is None else clinic_id + "/"
        self._size = checkpoint_size
        self._chain = chain
        self._emit = emit
        self._progress = progress
        self.entries = 0

    def tally(self, name: str) -> FileTally:
        return next((f.tally for f in self._files if f.name == name), FileTally())

    def __iter__(self) -> Iterator[CheckedEntry]:
        files = self._files
        pending = [self._next(f) for f in files]
        chain_add = self._chain.add
        emit = self._emit
        progress = self._progress
        last_index = -1
        while True:
            # Two files at most: pick the lower index by hand, this runs once per entry.
            if len(pending) == 2 and pending[0] is not None and pending[1] is not None:
                which = 0 if pending[0].index <= pending[1].index else 1
            elif pending and pending[0] is not None:
                which = 0
            elif len(pending) == 2 and pending[1] is not None:
                which = 1
            else:
                return
            entry = pending[which]
            assert entry is not None
            pending[which] = self._next(files[which])
            if entry.index == last_index:
                self._found(entry, Code.EVENT_DUPLICATED, f"index {entry.index} appears again")
            elif entry.index > last_index:
                last_index = entry.index
            for finding in chain_add(
                file=entry.file,
                stream_id=entry.stream_id,
                sequence=entry.sequence,
                prev_hash=entry.prev_hash,
                hash=entry.hash,
                event_id=entry.event_id,
            ):
                emit(finding)
            self.entries += 1
            if progress is not None and self.entries % _PROGRESS_EVERY == 0:
                progress(self.entries)
            yield entry

    def _next(self, file: _OneFile) -> CheckedEntry | None:
        """The file's next readable entry; lines that cannot be read are reported here."""
        while (line := file.next_line()) is not None:
            file.tally.lines += 1
            entry, event_id, problems = check_line(line, file=file.name)
            for problem in problems:
                self._emit(
                    Finding(
                        file=file.name,
                        event_id=event_id,
                        code=problem.code,
                        message=f"line {file.number}: {problem.message}",
                    )
                )
            if entry is None:
                continue
            self._check_place(file, entry)
            return entry
        if file.lines.unterminated:
            self._emit(
                Finding(
                    file=file.name,
                    event_id=NO_EVENT,
                    code=Code.MALFORMED,
                    message="the last line has no newline: the file may be cut short",
                )
            )
        return None

    def _check_place(self, file: _OneFile, entry: CheckedEntry) -> None:
        if entry.index <= file._last_index:
            self._found(
                entry,
                Code.EVENT_REORDERED,
                f"index {entry.index} comes after index {file._last_index}",
            )
        file._last_index = max(file._last_index, entry.index)
        if self._size is not None and entry.index >= self._size:
            self._found(
                entry,
                Code.NOT_IN_CHECKPOINT,
                f"index {entry.index} lies outside the checkpoint's tree of {self._size} leaves",
            )
        parts = entry.stream_id.split("/")
        prefix_ok = self._clinic_prefix is None or entry.stream_id.startswith(self._clinic_prefix)
        if len(parts) != 3 or parts[1] not in file.kind or not prefix_ok:
            self._found(
                entry,
                Code.OUT_OF_SCOPE,
                f"stream {entry.stream_id} does not belong in {file.name} of this export",
            )
        tally = file.tally
        tally.streams.add(entry.stream_id)
        if entry.patient_id is not None:
            tally.patients.add(entry.patient_id)

    def _found(self, entry: CheckedEntry, code: Code, message: str) -> None:
        self._emit(Finding(file=entry.file, event_id=entry.event_id, code=code, message=message))
