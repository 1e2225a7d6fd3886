"""What is wrong with a request, located precisely enough for the client to fix it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["InvalidRequest", "Problem"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One problem: ``index`` is the event's place in a batch, None when not about one event."""

    index: int | None
    path: str
    """A dotted field path (``payload.dose_mg``), a query parameter, or ``(root)``."""
    message: str


class InvalidRequest(Exception):  # noqa: N818 - reads as the outcome, like EventRejected
    """The request cannot be served as sent; answered 422 with every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("an invalid request needs at least one problem")
        self.problems = tuple(problems)
        super().__init__("; ".join(f"{p.path}: {p.message}" for p in self.problems))

    @classmethod
    def about(cls, path: str, message: str) -> InvalidRequest:
        """A single problem with a query parameter or the request as a whole."""
        return cls([Problem(index=None, path=path, message=message)])
