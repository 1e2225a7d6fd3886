"""Per-token token buckets, on a hand-moved timer."""

from __future__ import annotations

import pytest

from services.rate_limits import Limit, RateLimited, RateLimiter


class Timer:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(timer: Timer, *, per_minute: float = 60, burst: int = 3) -> RateLimiter:
    return RateLimiter(
        limit=Limit(per_minute=per_minute, burst=burst), what="requests", monotonic=timer
    )


def test_a_burst_passes_and_the_next_call_is_told_when_to_come_back() -> None:
    timer = Timer()
    limiter = _limiter(timer, per_minute=30, burst=3)
    for _ in range(3):
        limiter.take("t1")

    with pytest.raises(RateLimited) as refused:
        limiter.take("t1")

    assert refused.value.retry_after == 2  # one more every 2 s at 30 a minute
    assert "at most 30 a minute (3 at once); retry in 2 s" in str(refused.value)


def test_the_bucket_refills_at_the_sustained_rate() -> None:
    timer = Timer()
    limiter = _limiter(timer, per_minute=60, burst=2)
    limiter.take("t1")
    limiter.take("t1")
    timer.now += 1.0

    limiter.take("t1")
    with pytest.raises(RateLimited):
        limiter.take("t1")


def test_a_quiet_spell_refills_no_more_than_the_burst() -> None:
    timer = Timer()
    limiter = _limiter(timer, per_minute=60, burst=2)
    limiter.take("t1")
    timer.now += 3600

    limiter.take("t1")
    limiter.take("t1")
    with pytest.raises(RateLimited):
        limiter.take("t1")


def test_each_token_has_a_bucket_of_its_own() -> None:
    timer = Timer()
    limiter = _limiter(timer, burst=1)
    limiter.take("t1")

    limiter.take("t2")
    with pytest.raises(RateLimited):
        limiter.take("t1")


def test_a_refused_call_spends_nothing_so_waiting_the_retry_after_is_enough() -> None:
    timer = Timer()
    limiter = _limiter(timer, per_minute=60, burst=1)
    limiter.take("t1")
    for _ in range(5):
        with pytest.raises(RateLimited) as refused:
            limiter.take("t1")
    timer.now += refused.value.retry_after

    limiter.take("t1")


def test_a_rate_of_zero_is_no_limit() -> None:
    limiter = _limiter(Timer(), per_minute=0, burst=1)
    for _ in range(10_000):
        limiter.take("t1")
