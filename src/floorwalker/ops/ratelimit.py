"""Token-bucket rate limits per key and per client IP (in process)."""

from __future__ import annotations

import math
import time
from collections import OrderedDict

from floorwalker.errors import ApiError


class RateLimiter:
    """``rate`` requests per second on average, bursts of ``rate * burst_seconds``.

    A rate of 0 disables the limit. At most ``max_buckets`` keys are remembered; when a
    flood of new keys fills the table, buckets that hold nothing (refilled) go first, then
    the least recently used ones that are not limited: a limited key stays limited.
    """

    def __init__(self, rate: float, burst_seconds: float, *, max_buckets: int = 100_000) -> None:
        self.rate = rate
        self.capacity = max(1.0, rate * burst_seconds)
        self.max_buckets = max(1, max_buckets)
        # key -> (tokens, last update), least recently used first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, key: str, scope: str, now: float | None = None) -> None:
        """Take one token for ``key`` or raise 429 ``rate_limited`` with Retry-After."""
        if self.rate <= 0:
            return
        now = time.monotonic() if now is None else now
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if key not in self._buckets and len(self._buckets) >= self.max_buckets:
            self._evict(now)
        if tokens < 1.0:
            wait = math.ceil((1.0 - tokens) / self.rate)
            self._store(key, tokens, now)
            raise ApiError(429, "rate_limited",
                           f"Too many requests for this {scope}; retry in {wait} s.",
                           [{"scope": scope, "retry_after": wait}],
                           headers={"Retry-After": str(wait)})
        self._store(key, tokens - 1.0, now)

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        self._buckets.move_to_end(key)

    def _tokens(self, bucket: tuple[float, float], now: float) -> float:
        tokens, last = bucket
        return min(self.capacity, tokens + (now - last) * self.rate)

    def _evict(self, now: float) -> None:
        """Make room for a tenth of the table at once, so the work per new key stays small.

        Never clears everything: spraying keys must not reset anyone's limit.
        """
        target = self.max_buckets - max(1, self.max_buckets // 10)
        # 1. Buckets refilled to capacity say nothing a fresh bucket would not.
        for key in [k for k, b in self._buckets.items() if self._tokens(b, now) >= self.capacity]:
            del self._buckets[key]
        if len(self._buckets) <= target:
            return
        # 2. The least recently used buckets that are not limited.
        for key in [k for k, b in self._buckets.items() if self._tokens(b, now) >= 1.0]:
            del self._buckets[key]
            if len(self._buckets) <= target:
                return
        # 3. Every bucket is limited (a flood of capacity x max_buckets requests): drop the
        #    oldest, whose limits are closest to running out anyway.
        while len(self._buckets) > target:
            self._buckets.popitem(last=False)
