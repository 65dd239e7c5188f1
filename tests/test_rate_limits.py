"""Per-key and per-address rate limits on the public endpoints."""

from __future__ import annotations

import pytest

from floorwalker.config import Settings
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
