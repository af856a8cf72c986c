"""The intake and login limits: a fixed window per key, on a clock the test moves."""

from __future__ import annotations

import pytest
from limits import parse

from dsr.errors import RateLimited
from dsr.ratelimit import RateLimiter, Window


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_window_allows_its_limit_then_says_when_to_retry() -> None:
    clock = Clock()
    w = Window(parse("3/minute"), clock)
    assert [w.hit("a") for _ in range(3)] == [None, None, None]
    clock.now += 20
    assert w.hit("a") == 40  # the window opened at the first hit
    assert w.hit("b") is None  # keys are counted apart
    clock.now += 40
    assert w.hit("a") is None  # a new window
    assert [w.hit("a") for _ in range(2)] == [None, None]
    assert w.hit("a") == 60


def test_expired_keys_are_forgotten() -> None:
    clock = Clock()
    w = Window(parse("1/second"), clock)
    for n in range(1000):
        w.hit(f"k{n}")
    clock.now += 2
    w.hit("fresh")  # TTLCache expires lazily, on the next write
    assert len(w.keys) == 1


async def test_the_limiter_raises_with_retry_after() -> None:
    limiter = RateLimiter("2/minute", "1/hour", "1/minute")
    await limiter.check_ip("203.0.113.1")
    await limiter.check_ip("203.0.113.1")
    with pytest.raises(RateLimited) as exc:
        await limiter.check_ip("203.0.113.1")
    assert 1 <= exc.value.retry_after <= 60
    await limiter.check_email(" Ada@Example.org ")
    with pytest.raises(RateLimited) as exc:
        await limiter.check_email("ada@example.org")  # the same address, however typed
    assert "ada" not in exc.value.message.lower()
    await limiter.check_login("203.0.113.1")  # its own bucket
