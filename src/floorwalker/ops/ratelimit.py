"""Token-bucket rate limits per key and per client IP (in process)."""

from __future__ import annotations

import math
import time

from floorwalker.errors import ApiError


class RateLimiter:
    """``rate`` requests per second on average, bursts of ``rate * burst_seconds``.

    A rate of 0 disables the limit.
    """

    def __init__(self, rate: float, burst_seconds: float, *, max_buckets: int = 100_000) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * burst_seconds)
        self.max_buckets = max_buckets
        self._buckets: dict[str, tuple[float, float]] = {}

    def check(self, key: str, scope: str, now: float | None = None) -> None:
        """Take one token for ``key`` or raise 429 ``rate_limited`` with Retry-After."""
        if self.rate <= 0:
            return
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens < 1.0:
            wait = math.ceil((1.0 - tokens) / self.rate)
            self._buckets[key] = (tokens, now)
            raise ApiError(429, "rate_limited",
                           f"Too many requests for this {scope}; retry in {wait} s.",
                           [{"scope": scope, "retry_after": wait}],
                           headers={"Retry-After": str(wait)})
        if len(self._buckets) >= self.max_buckets and key not in self._buckets:
            self._buckets.clear()  # bounded memory under an address-spraying flood
        self._buckets[key] = (tokens - 1.0, now)
