"""Rate limits on public intake (per client IP and per e-mail address) and on staff login (per
client IP, its own bucket), using the `limits` library's moving-window limiter. In-memory: each
API process keeps its own counters, which is enough to stop floods from one source; put a shared
limiter in front for strict global limits."""

from __future__ import annotations

import time

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import MovingWindowRateLimiter

from dsr.errors import RateLimited
from dsr.security import sha256_hex


class RateLimiter:
    def __init__(self, per_ip: str, per_email: str, per_login_ip: str = "10/minute") -> None:
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._ip: RateLimitItem = parse(per_ip)
        self._email: RateLimitItem = parse(per_email)
        self._login_ip: RateLimitItem = parse(per_login_ip)

    async def _hit(self, item: RateLimitItem, key: str, what: str) -> None:
        if not await self._limiter.hit(item, "dsr", key):
            stats = await self._limiter.get_window_stats(item, "dsr", key)
            retry = max(1, int(stats.reset_time - time.time()))
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

    async def check_email(self, email: str) -> None:
        # The key is a hash: the limiter's memory holds no addresses.
        await self._hit(self._email, f"email:{sha256_hex(email.strip().lower())}", "e-mail address")
