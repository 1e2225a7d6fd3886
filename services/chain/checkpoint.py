"""C2SP transparency-log checkpoints (c2sp.org/tlog-checkpoint): a signed tree head.

The note text is the log's origin, the tree size in decimal and the base64
RFC 6962 root hash, one per line, then optional extension lines. Given two
checkpoints and a consistency proof, anyone can tell whether the log was
truncated or rewritten between them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from services.chain import canonical_base64 as b64
from services.chain.merkle import HASH_SIZE
from services.chain.note import NoteError, Signer, Verifier, open_note, sign_note

__all__ = [
    "Checkpoint",
    "CheckpointError",
    "VerifiedCheckpoint",
    "open_checkpoint",
    "sign_checkpoint",
]

_MAX_SIZE = (1 << 64) - 1  # tree sizes are uint64 in every other implementation
_DECIMAL = re.compile(r"0|[1-9][0-9]*", re.ASCII)


class CheckpointError(NoteError):
    """Not a valid checkpoint, or a checkpoint of another log than the one expected."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkpoint:
    """A Merkle tree head: which log, how many leaves, which root."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("the origin must be one non-empty line")
        if not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError(f"tree size {self.size} is out of range")
        if len(self.root_hash) != HASH_SIZE:
            raise CheckpointError(f"the root hash must be {HASH_SIZE} bytes")
        if any(not line or "\n" in line for line in self.extensions):
            raise CheckpointError("extension lines must be non-empty single lines")

    def text(self) -> str:
        """The note text that is signed, ending in a newline."""
        lines = [self.origin, str(self.size), b64.encode(self.root_hash), *self.extensions]
        return "".join(line + "\n" for line in lines)

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        """Read a checkpoint's note text (without the signatures)."""
        if not text.endswith("\n"):
            raise CheckpointError("the checkpoint text must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise CheckpointError("a checkpoint has an origin, a tree size and a root hash")
        origin, size, root64, *extensions = lines
        if not _DECIMAL.fullmatch(size):
            raise CheckpointError(f"the tree size {size[:30]!r} is not a decimal without zeros")
        try:
            root_hash = b64.decode(root64)
        except ValueError as exc:
            raise CheckpointError(f"the root hash is {exc}") from None
        return cls(origin=origin, size=int(size), root_hash=root_hash, extensions=tuple(extensions))


@dataclass(frozen=True, slots=True, kw_only=True)
class VerifiedCheckpoint:
    """A checkpoint and the trusted keys whose signatures on it verified."""

    checkpoint: Checkpoint
    verified_by: tuple[Verifier, ...]


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer) -> str:
    """The checkpoint as a signed note; sign with old and new key while rotating."""
    origin = checkpoint.origin
    # The spec only recommends this origin form, but what we sign we keep to it.
    if "+" in origin or any(c.isspace() for c in origin):
        raise CheckpointError(f"origin {origin!r} should be a URL without spaces or '+'")
    return sign_note(checkpoint.text(), *signers)


def open_checkpoint(
    signed: str | bytes, *, verifiers: Iterable[Verifier], origin: str
) -> VerifiedCheckpoint:
    """Verify a signed checkpoint of the log ``origin``; raise a ``NoteError`` otherwise.

    The text is read only after a trusted signature verified, as the
    signed-note spec requires, and a checkpoint of another log is refused
    even when a trusted key signed it.
    """
    note = open_note(signed, verifiers=verifiers)
    checkpoint = Checkpoint.parse(note.text)
    if checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint of {checkpoint.origin!r}, expected {origin!r}")
    return VerifiedCheckpoint(checkpoint=checkpoint, verified_by=note.verified_by)
