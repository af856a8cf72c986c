"""Rate limits on public intake (per client IP and per e-mail address), on staff login (per
client IP, its own bucket) and on the Data Rights Protocol endpoints (per client IP, its own).
In memory by default: each API process keeps its own counters,
which is enough to stop floods from one source. With DSR_REDIS_URL every process counts in
Redis (dsr/ratelimit_redis.py), falling back to these counters while Redis is unreachable.
The client IP is the connection's, or the one a trusted proxy names (DSR_TRUSTED_PROXIES).

Each limit is a fixed window per key that starts at the key's first hit, kept in a `TTLCache`
(cachetools), whose expiry costs O(1) per operation. The `limits` library parses the settings
("20/minute"), but its in-memory storage is not used: it re-scans every key it holds, with a
thread hop per key, after each hit, and the per-address limit holds one key per address seen in
the last hour, so the scan grew with traffic until intake slowed to a crawl (bench/intake.py).
A fixed window lets a source send at most twice its limit across a window boundary; that is
within what these limits are for (stopping floods and guessing), not metering."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from cachetools import TTLCache
from limits import RateLimitItem, parse

from dsr.credentials import sha256_hex
from dsr.errors import RateLimited
from dsr.ratelimit_redis import RedisCounter, SharedUnavailable
from dsr.settings import Settings

# Keys beyond this are forgotten oldest first: a flood from millions of addresses cannot grow
# the process without bound (each of them is then limited afresh, which is the safe direction
# only for memory; a shared limiter in front is the answer to such floods).
MAX_KEYS = 1_000_000


class Window:
    def __init__(self, item: RateLimitItem, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.limit = item.amount
        self.seconds = item.get_expiry()
        # Entries are [hits, window start]; the cache drops each one when its window ends.
        self.keys: TTLCache[str, list[float]] = TTLCache(
            maxsize=MAX_KEYS, ttl=self.seconds, timer=clock
        )

    def hit(self, key: str) -> int | None:
        """Count one hit; None if allowed, else the seconds until the window ends."""
        now = self.clock()
        entry = self.keys.get(key)
        if entry is None:
            self.keys[key] = [1, now]
            return None
        if entry[0] >= self.limit:
            return max(1, math.ceil(entry[1] + self.seconds - now))
        entry[0] += 1  # in place: the window keeps its start and its expiry
        return None


class RateLimiter:
    def __init__(
        self,
        per_ip: str,
        per_email: str,
        per_login_ip: str = "10/minute",
        *,
        per_drp_ip: str = "120/minute",
        shared: RedisCounter | None = None,
    ) -> None:
        self._ip = Window(parse(per_ip))
        self._drp_ip = Window(parse(per_drp_ip))
        self._email = Window(parse(per_email))
        self._login_ip = Window(parse(per_login_ip))
        self.shared = shared

    async def _hit(self, window: Window, key: str, what: str) -> None:
        retry: int | None
        try:
            if self.shared is None:
                raise SharedUnavailable
            retry = await self.shared.hit(key, limit=window.limit, seconds=int(window.seconds))
        except SharedUnavailable:
            retry = window.hit(key)
        if retry is not None:
            raise RateLimited(
                f"too many requests from this {what}; try again in {retry} seconds",
                retry_after=retry,
            )

    async def check_ip(self, ip: str) -> None:
        await self._hit(self._ip, f"ip:{ip}", "address")

    async def check_login(self, ip: str) -> None:
        # A bucket apart from public intake's: a flood of public requests from an office's shared
        # address cannot lock its staff out of the console, nor password guessing the public out.
        await self._hit(self._login_ip, f"login-ip:{ip}", "address")

    async def check_drp(self, ip: str) -> None:
        # Authorized agents send many requests from few addresses: a bucket of their own, so an
        # agent's batch neither exhausts nor is stopped by the public form's limit.
        await self._hit(self._drp_ip, f"drp-ip:{ip}", "address")

    async def check_email(self, email: str) -> None:
        # The key is a hash: the limiter's memory holds no addresses.
        await self._hit(self._email, f"email:{sha256_hex(email.strip().lower())}", "e-mail address")

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()


def shared_counter(settings: Settings) -> RedisCounter | None:
    if not settings.redis_url:
        return None
    return RedisCounter(
        settings.redis_url, prefix=settings.redis_key_prefix, secret=settings.secret_key
    )
