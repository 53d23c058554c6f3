"""Token-bucket rate limits per API key, session, SCIM directory or client address.

A bucket holds up to `burst` tokens and refills at `rate` tokens per second; each request
takes one. With `REDIS_URL` the buckets live in Redis (one atomic Lua script per request, so
every process shares them); otherwise in this process's memory. If Redis fails, requests are
let through (and counted): a cache outage must not become an API outage (SECURITY 43).

Other areas call `await rate_limit("directory:" + directory_id)`; `RateLimited` becomes a 429
with `Retry-After` through `rate_limited_handler`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from gatehouse.ops import metrics
from gatehouse.settings import RateLimit, Settings

log = logging.getLogger("gatehouse.ratelimit")


def now() -> float:
    """The limiter's clock (monotonic seconds); tests move it instead of sleeping."""
    return time.monotonic()


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float  # seconds until one token is back; 0 when allowed


class RateLimited(Exception):
    def __init__(self, retry_after: float) -> None:
        super().__init__("rate limit exceeded")
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        return str(max(1, math.ceil(self.retry_after)))


class Limiter(Protocol):
    async def hit(self, key: str, limit: RateLimit) -> Decision: ...


class MemoryLimiter:
    """Buckets in this process: right for one process or `make run`."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated at)
        self._max_keys = max_keys

    async def hit(self, key: str, limit: RateLimit) -> Decision:
        t = now()
        tokens, updated = self._buckets.get(key, (float(limit.burst), t))
        tokens = min(float(limit.burst), tokens + max(0.0, t - updated) * limit.rate)
        if len(self._buckets) >= self._max_keys and key not in self._buckets:
            self._buckets.clear()  # a full bucket again is the safe direction to forget
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, t)
            return Decision(allowed=True, retry_after=0.0)
        self._buckets[key] = (tokens, t)
        return Decision(allowed=False, retry_after=(1 - tokens) / limit.rate)


# KEYS[1] bucket; ARGV rate, burst. Redis's own clock, so every process agrees on time.
BUCKET_SCRIPT = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) * rate)
local allowed = 0
local retry = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  retry = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(retry)}
"""


class RedisLimiter:
    """Buckets in Redis, shared by every process."""

    def __init__(self, url: str, prefix: str = "gatehouse:rl:") -> None:
        from redis.asyncio import Redis

        self._redis = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
        self._script = self._redis.register_script(BUCKET_SCRIPT)
        self.prefix = prefix

    async def hit(self, key: str, limit: RateLimit) -> Decision:
        allowed, retry = await self._script(
            keys=[self.prefix + key], args=[limit.rate, limit.burst]
        )
        return Decision(allowed=bool(int(allowed)), retry_after=float(retry))

    async def close(self) -> None:
        await self._redis.aclose()


_limiter: Limiter | None = None
_settings: Settings | None = None


def configure(settings: Settings, limiter: Limiter | None = None) -> Limiter:
    """Choose the backend for this process (called by `create_app`)."""
    global _limiter, _settings  # noqa: PLW0603 - one limiter per process, like a pool
    _settings = settings
    if limiter is None:
        limiter = RedisLimiter(settings.redis_url) if settings.redis_url else MemoryLimiter()
    _limiter = limiter
    return limiter


async def close() -> None:
    """Release the backend's connections (lifespan shutdown)."""
    closer = getattr(_limiter, "close", None)
    if closer is not None:
        await closer()


def limit_for(key: str, settings: Settings) -> RateLimit:
    """The key's own override (by bucket key or by its id part), else the default."""
    overrides = settings.rate_limit_overrides
    return overrides.get(key) or overrides.get(key.partition(":")[2]) or settings.rate_limit


async def rate_limit(key: str) -> None:
    """Take one token from `key`'s bucket; raise `RateLimited` when it is empty."""
    if _limiter is None or _settings is None or not _settings.rate_limit_enabled:
        return
    limit = limit_for(key, _settings)
    if limit.rate <= 0:
        return
    try:
        decision = await _limiter.hit(key, limit)
    except Exception as exc:  # noqa: BLE001 - fail open: see the module docstring
        metrics.RATE_LIMITER_ERRORS.inc()
        log.warning("rate limiter unavailable, request let through: %s", type(exc).__name__)
        return
    if not decision.allowed:
        metrics.RATE_LIMITED.labels(key.partition(":")[0]).inc()
        raise RateLimited(decision.retry_after)


async def rate_limited_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RateLimited)
    return JSONResponse(
        {"error": "rate_limited", "message": "Too many requests; retry after the delay."},
        status_code=429,
        headers={"Retry-After": exc.retry_after_header},
    )
