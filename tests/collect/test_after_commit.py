"""What follows a commit runs in commit order, and the after-commit queue never wedges.

(The queue runs inline in the writer for now: see store/writer.py and issue 10.)
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from floorwalker.store.aftercommit import AfterCommit
from tests.conftest import Server, Tenant


async def track(client: httpx.AsyncClient, tenant: Tenant, anon: str, event: str
                ) -> httpx.Response:
    return await client.post("/v1/track", headers=tenant.basic(),
                             json={"anonymousId": anon, "event": event})


async def test_listeners_see_commits_in_commit_order(server: Server, client: httpx.AsyncClient,
                                                     alice: Tenant) -> None:
    pipeline = server.services.pipeline
    seen: list[str] = []

    async def record(committed: list[Any]) -> None:
        await asyncio.sleep(0.01)  # slower than the writer: work queues up behind it
        seen.extend(c.event.name for c in committed if c.event.anonymous_id == "ordered")

    pipeline.listeners.insert(0, record)
    try:
        for n in range(8):
            r = await track(client, alice, "ordered", f"step_{n}")
            assert r.status_code == 200, r.text
        await asyncio.wait_for(pipeline.idle(), 10)
    finally:
        pipeline.listeners.remove(record)
    assert seen == [f"step_{n}" for n in range(8)]


async def test_work_runs_in_the_order_it_was_queued() -> None:
    queue = AfterCommit()
    queue.start()
    seen: list[int] = []

    def step(n: int):  # type: ignore[no-untyped-def]
        async def work() -> None:
            await asyncio.sleep(0.01 if n % 2 else 0)  # slower and faster work, interleaved
            seen.append(n)
        return work

    for n in range(8):
        await queue.submit(step(n))
    await asyncio.wait_for(queue.stop(), 10)
    assert seen == list(range(8))


async def test_work_that_is_cancelled_does_not_stop_the_queue() -> None:
    queue = AfterCommit()
    queue.start()
    ran: list[str] = []

    async def cancelled() -> None:
        never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        never.cancel()  # e.g. a socket's future, cancelled at shutdown
        await never

    async def after() -> None:
        ran.append("after")

    await queue.submit(cancelled)
    await asyncio.wait_for(queue.submit_and_wait(after), 10)
    assert ran == ["after"]
    await queue.stop()


async def test_stopping_does_not_wait_forever_for_stuck_work() -> None:
    queue = AfterCommit()
    queue.start()
    gate = asyncio.Event()

    async def stuck() -> None:
        await gate.wait()

    await queue.submit(stuck)
    await asyncio.wait_for(queue.stop(patience=0.2), 10)  # logs what it left behind
    gate.set()


async def test_work_that_runs_through_the_queue_may_queue_more() -> None:
    # Post-commit work that writes with effects of its own runs those effects in place
    # instead of waiting behind itself (the deadlock a drain task would otherwise have).
    queue = AfterCommit()
    queue.start()
    ran: list[str] = []

    async def inner() -> None:
        ran.append("inner")

    async def outer() -> None:
        assert queue.inside()
        await queue.submit_and_wait(inner)  # would wait forever if queued behind outer
        ran.append("outer")

    await asyncio.wait_for(queue.submit_and_wait(outer), 10)
    assert ran == ["inner", "outer"]
    assert not queue.inside()
    await queue.stop()
