"""Per-key and per-address rate limits on the public endpoints."""

from __future__ import annotations

import pytest

from floorwalker.config import Settings
from floorwalker.errors import ApiError
from floorwalker.ops.ratelimit import RateLimiter
from tests.conftest import Server, Tenant


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Rate limits switched on for this module, at low rates."""
    return Settings(database_url=database_url, rate_limit_per_ip=5, rate_limit_per_key=3,
                    rate_limit_burst_seconds=1, log_json=False)


async def test_rate_limit_answers_429_with_retry_after(server: Server, alice: Tenant) -> None:
    statuses = []
    for _ in range(6):
        r = await server.client.post("/v1/track", headers=alice.basic(),
                                     json={"anonymousId": "a", "event": "x"})
        statuses.append(r.status_code)
    assert statuses[:3] == [200, 200, 200]
    assert 429 in statuses
    limited = r if r.status_code == 429 else None
    assert limited is not None
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.json()["error"]["code"] == "rate_limited"


async def test_admin_api_is_limited_per_address_too(server: Server, alice: Tenant) -> None:
    codes = [(await server.client.get("/api/visitors", headers=alice.bearer())).status_code
             for _ in range(8)]
    assert codes[0] == 200
    assert codes[-1] == 429


def _limited(limiter: RateLimiter, key: str, now: float) -> bool:
    try:
        limiter.check(key, "login", now=now)
    except ApiError as exc:
        return (exc.status, exc.code) == (429, "rate_limited")
    return False


def test_spraying_new_keys_does_not_reset_a_limited_client() -> None:
    """Security review (issue 9, 5.4): the table used to be cleared at 100,000 keys."""
    limiter = RateLimiter(10 / 300, 300, max_buckets=100)
    assert [_limited(limiter, "attacker|alice", 0.0) for _ in range(11)][-1] is True
    for n in range(5_000):  # the flood: every request a new key
        _limited(limiter, f"spray-{n}", 1.0)
    assert len(limiter) <= 100  # memory stays bounded...
    assert _limited(limiter, "attacker|alice", 2.0)  # ...and the limit stays

