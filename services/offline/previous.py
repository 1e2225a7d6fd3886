"""The checkpoint of an earlier export: from its bundle, or from a checkpoint note file."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Final

from services.chain.checkpoint import Checkpoint, open_checkpoint
from services.chain.note import NoteError, Verifier
from services.offline.bundle_format import CHECKPOINT_FILE
from services.offline.bundle_reader import READ_ERRORS, BundleError, open_bundle
from services.offline.findings import NO_EVENT, Code, Finding

__all__ = ["previous_checkpoint"]

_NOTE_LIMIT: Final = 1 << 16


def previous_checkpoint(
    path: Path, *, key: Verifier, origin: str
) -> tuple[Checkpoint | None, list[Finding]]:
    """The earlier checkpoint, verified with ``key``; ``None`` and why when it cannot be."""
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or directory")
    name = str(path)
    try:
        if path.is_dir() or zipfile.is_zipfile(path):
            with open_bundle(path) as bundle:
                name = f"{path}:{CHECKPOINT_FILE}"
                note = bundle.read(CHECKPOINT_FILE, limit=_NOTE_LIMIT)
        else:
            with path.open("rb") as file:
                note = file.read(_NOTE_LIMIT + 1)
            if len(note) > _NOTE_LIMIT:
                raise BundleError(f"larger than {_NOTE_LIMIT} bytes: not a checkpoint")
    except (*READ_ERRORS, BundleError, KeyError) as error:
        problem = f"cannot read the previous checkpoint: {error}"
        return None, [_finding(name, Code.MALFORMED, problem)]
    try:
        return open_checkpoint(note, verifiers=[key], origin=origin).checkpoint, []
    except NoteError as error:
        return None, [_finding(name, Code.SIGNATURE, f"the previous checkpoint: {error}")]


def _finding(name: str, code: Code, message: str) -> Finding:
    return Finding(file=name, event_id=NO_EVENT, code=code, message=message)
