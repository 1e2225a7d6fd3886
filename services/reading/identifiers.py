"""Which identifiers could have been recorded at all."""

from __future__ import annotations

__all__ = ["storable_identifier"]


def storable_identifier(value: str, *, longest: int = 64) -> bool:
    """Whether ``value`` could be a recorded identifier (of at most ``longest`` characters).

    NUL is refused too: no database can store it, so no recorded id can hold it.
    """
    return 0 < len(value) <= longest and "\x00" not in value
