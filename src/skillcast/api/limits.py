"""Per-key request limits: a rate (token bucket) and a number of requests at once.

A planning tool that loops too fast, or opens too many connections, gets ``429`` with a
``Retry-After`` header instead of slowing every other caller down. Limits are per worker
process (the service runs one by default) and per key *name*, so keys from the file and
from ``SKILLCAST_API_KEYS`` are limited alike.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from skillcast.api.errors import ApiError


@dataclass
class _Bucket:
    tokens: float
    updated: float
    running: int = 0


@dataclass
class KeyLimits:
    """``rate`` requests per second on average, ``burst`` above it at once, ``concurrency`` in flight."""

    rate: float
    burst: int
    concurrency: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def admit(self, key: str) -> Callable[[], None]:
        """Count one request of ``key``; returns the function that ends it, or raises ``ApiError`` 429."""
        now = self.clock()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(tokens=float(self.burst), updated=now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.running >= self.concurrency:
            raise ApiError(
                429,
                f"key {key!r} already has {bucket.running} requests in progress (the most is {self.concurrency}); wait for one to finish",
                headers={"retry-after": "1"},
            )
        if bucket.tokens < 1:
            wait = math.ceil((1 - bucket.tokens) / self.rate)
            raise ApiError(
                429,
                f"key {key!r} is over its limit of {self.rate:g} requests per second; retry in {wait} s",
                headers={"retry-after": str(wait)},
            )
        bucket.tokens -= 1
        bucket.running += 1

        def done() -> None:
            bucket.running -= 1

        return done
