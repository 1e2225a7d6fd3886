"""Per-token rate limits: a token bucket for each API token, and a smaller one for the
calls that cost the server seconds (re-hashing the whole log, making an export bundle).

One runaway script or leaked token should slow itself down, not the clinic's other
systems; the limits are per server process, as the API is served by one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["ApiLimits", "Limit", "RateLimited", "RateLimiter"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Limit:
    per_minute: float
    """The sustained rate; 0 turns the limit off."""
    burst: int
    """How many may come at once after a quiet spell."""


class RateLimited(Exception):  # noqa: N818 - a refusal, not an error of ours
    """Too many calls under one token; ``retry_after`` is in whole seconds."""

    def __init__(self, *, retry_after: int, limit: Limit, what: str) -> None:
        super().__init__(
            f"too many {what} under this token: at most {limit.per_minute:g} a minute "
            f"({limit.burst} at once); retry in {retry_after} s"
        )
        self.retry_after = retry_after


class RateLimiter:
    """Token buckets by key; ``take`` spends from the key's bucket or raises."""

    def __init__(
        self, *, limit: Limit, what: str, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        # A monotonic timer, not the clock port: the domain clock may be held in the past
        # (the demo's replay), and a rate is about elapsed seconds only.
        self._limit = limit
        self._what = what
        self._monotonic = monotonic
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> None:
        limit = self._limit
        if limit.per_minute <= 0:
            return
        now = self._monotonic()
        level, at = self._buckets.get(key, (float(limit.burst), now))
        level = min(float(limit.burst), level + (now - at) * limit.per_minute / 60.0)
        if level < 1.0:
            self._buckets[key] = (level, now)
            wait = (1.0 - level) * 60.0 / limit.per_minute
            raise RateLimited(retry_after=max(1, math.ceil(wait)), limit=limit, what=self._what)
        self._buckets[key] = (level - 1.0, now)


@dataclass(frozen=True, slots=True, kw_only=True)
class ApiLimits:
    """Every API call spends from ``requests``; the costly ones from ``expensive`` too."""

    requests: RateLimiter
    expensive: RateLimiter

    @classmethod
    def of(
        cls,
        *,
        requests: Limit,
        expensive: Limit,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> ApiLimits:
        return cls(
            requests=RateLimiter(limit=requests, what="requests", monotonic=monotonic),
            expensive=RateLimiter(
                limit=expensive, what="log checks and exports", monotonic=monotonic
            ),
        )
