"""Lines of a large file, hashed as they are read, so that it is read only once."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import IO, Final

__all__ = ["HashedLines"]

_BLOCK: Final = 1 << 20


class HashedLines:
    """Iterate the lines (without ``\\n``) of ``stream``; ``sha256``/``size`` when done.

    Reading blocks and splitting them costs far less than a call per line. A last line
    without its newline is still yielded, and ``unterminated`` says so: a bundle cut
    short usually ends that way.
    """

    def __init__(self, *, stream: IO[bytes]) -> None:
        self._stream = stream
        self._digest = hashlib.sha256()
        self.size = 0
        self.unterminated = False
        self.done = False

    @property
    def sha256(self) -> str:
        return self._digest.hexdigest()

    def __iter__(self) -> Iterator[bytes]:
        rest = b""
        read = self._stream.read
        update = self._digest.update
        while block := read(_BLOCK):
            update(block)
            self.size += len(block)
            lines = (rest + block).split(b"\n")
            rest = lines.pop()
            yield from lines
        if rest:
            self.unterminated = True
            yield rest
        self.done = True

    def close(self) -> None:
        self._stream.close()

    def drain(self) -> None:
        """Read to the end (hashing) when nobody iterated, or stopped early."""
        for _ in self:
            pass
