"""Every visible playbook scenario stays silent the second time in the same visit."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest

from tests.conftest import Tenant
from tests.rules.helpers import decided, install_playbook, shown, staff, track

Fire = Callable[[httpx.AsyncClient, Tenant, str], Awaitable[None]]


async def _search(c: httpx.AsyncClient, t: Tenant, v: str) -> None:
    await track(c, t, v, "search", search_term="x", result_count=1)


async def _payment(c: httpx.AsyncClient, t: Tenant, v: str) -> None:
    await track(c, t, v, "payment_failure", payment_method="card")


async def _cart(c: httpx.AsyncClient, t: Tenant, v: str) -> None:
    await track(c, t, v, "view_cart", items=[{"item_id": "coat", "price": 600}])


async def _coupon(c: httpx.AsyncClient, t: Tenant, v: str) -> None:
    await track(c, t, v, "coupon_failure", coupon="OLD")


async def _faq(c: httpx.AsyncClient, t: Tenant, v: str) -> None:
    await track(c, t, v, "open_faq", title="Warranty")


async def _shipping(c: httpx.AsyncClient, t: Tenant, v: str) -> None:
    await track(c, t, v, "add_to_cart", items=[{"item_id": "sock", "price": 1}])


CASES: dict[str, tuple[Fire, int]] = {
    # scenario: (what triggers it, how many times per visit it may run)
    "search_few_results": (_search, 1),
    "payment_failure": (_payment, 2),
    "big_cart": (_cart, 1),
    "coupon_failure": (_coupon, 1),
    "important_faq": (_faq, 1),
    "free_shipping_nudge": (_shipping, 1),
}


@pytest.mark.parametrize("key", sorted(CASES))
async def test_not_again_in_the_same_visit(client: httpx.AsyncClient, alice: Tenant,
                                           key: str) -> None:
    await install_playbook(client, alice)
    await client.patch("/api/workspace/settings", headers=alice.bearer(),
                       json={"min_gap_seconds": 0, "max_proactive_per_session": 10})
    for department in ("sales", "support", "billing"):
        await staff(client, alice, department, max_chats=10)
    fire, allowed = CASES[key]
    for _ in range(allowed):
        await fire(client, alice, "v")
        assert len(await shown(client, alice, "v")) == 1
    await fire(client, alice, "v")
    assert await shown(client, alice, "v") == []
    assert (await decided(client, alice, "v", key))[0]["reason"] == "cap_session"
