"""Rate-limit counters shared by every API process through Redis (DSR_REDIS_URL; issue 12,
item 15). The same fixed window as the in-memory limiter (dsr/ratelimit.py): one Lua script
increments a key and sets its expiry on the first hit, atomically, so concurrent processes count
one window between them.

When Redis cannot be reached, the limiter falls back to the process's own in-memory counters
(per-process limits, as without Redis) and logs a warning at most once a minute: public intake
and staff login stay available, still limited, instead of all failing with the cache.

Keys are HMACs of what is counted (an address, an e-mail hash) under the secret key: Redis holds
no client addresses."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger("dsr.ratelimit")

# KEYS[1]: the window's key; ARGV[1]: its length in ms. Returns {hits so far, ms left}.
_HIT = """
local hits = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {hits, ttl}
"""
# How long a request may wait on Redis, and how long an unreachable Redis is left alone before it
# is tried again (so an outage costs requests no timeout each).
TIMEOUT_SECONDS = 0.5
RETRY_AFTER_OUTAGE_SECONDS = 5.0
WARN_EVERY_SECONDS = 60.0


class SharedUnavailable(Exception):
    """Redis did not answer: the caller counts in memory instead."""


class RedisCounter:
    def __init__(self, url: str, *, prefix: str, secret: str) -> None:
        self._client = redis.Redis.from_url(
            url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
        )
        self._script = self._client.register_script(_HIT)
        self._prefix = prefix
        self._secret = secret.encode()
        self._down_until = 0.0
        self._warned_at = -math.inf

    def key(self, name: str) -> str:
        digest = hmac.new(self._secret, name.encode(), hashlib.sha256).hexdigest()[:32]
        return f"{self._prefix}{name.split(':', 1)[0]}:{digest}"

    async def hit(self, name: str, *, limit: int, seconds: int) -> int | None:
        """Count one hit on `name`; None if allowed, else the seconds until its window ends."""
        now = time.monotonic()
        if now < self._down_until:
            raise SharedUnavailable
        try:
            hits, ms_left = await self._script(keys=[self.key(name)], args=[seconds * 1000])
        except (RedisError, OSError) as exc:
            self._down_until = now + RETRY_AFTER_OUTAGE_SECONDS
            if now - self._warned_at >= WARN_EVERY_SECONDS:
                self._warned_at = now
                log.warning(
                    "Redis unreachable (%s): rate limits are counted per process until it is back",
                    type(exc).__name__,
                )
            raise SharedUnavailable from None
        if int(hits) > limit:
            return max(1, math.ceil(int(ms_left) / 1000))
        return None

    async def close(self) -> None:
        await self._client.aclose()
