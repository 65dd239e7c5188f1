"""What follows a commit runs off the writer: a slow listener never holds up a commit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.conftest import Server, Tenant


async def track(client: httpx.AsyncClient, tenant: Tenant, anon: str, event: str
                ) -> httpx.Response:
    return await client.post("/v1/track", headers=tenant.basic(),
                             json={"anonymousId": anon, "event": event})


async def test_a_blocked_listener_does_not_hold_up_other_commits(
        server: Server, client: httpx.AsyncClient, alice: Tenant) -> None:
    pipeline = server.services.pipeline
    gate, entered = asyncio.Event(), asyncio.Event()

    async def stuck(_committed: list[Any]) -> None:
        entered.set()
        await gate.wait()  # a webhook or an alert query that hangs

    pipeline.listeners.insert(0, stuck)
    try:
        r = await track(client, alice, "first", "search")
        assert r.status_code == 200, r.text
        await asyncio.wait_for(entered.wait(), 10)
        # The listener is still blocked: other visitors' events commit and can be read.
        for n in range(3):
            r = await asyncio.wait_for(track(client, alice, f"other-{n}", "search"), 10)
            assert r.status_code == 200, r.text
            r = await client.get(f"/api/visitors/other-{n}", headers=alice.bearer())
            assert r.status_code == 200 and r.json()["event_count"] == 1, r.text
        assert pipeline.after_commit.depth >= 1  # their side effects wait their turn
    finally:
        gate.set()
        pipeline.listeners.remove(stuck)
    await asyncio.wait_for(pipeline.after_commit.idle(), 10)
    assert pipeline.after_commit.depth == 0


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
        await asyncio.wait_for(pipeline.after_commit.idle(), 10)
    finally:
        pipeline.listeners.remove(record)
    assert seen == [f"step_{n}" for n in range(8)]


async def test_stopping_runs_what_is_queued(server: Server, client: httpx.AsyncClient,
                                            alice: Tenant) -> None:
    pipeline = server.services.pipeline
    done: list[int] = []

    async def slow(committed: list[Any]) -> None:
        await asyncio.sleep(0.05)
        done.append(len(committed))

    pipeline.listeners.insert(0, slow)
    for n in range(3):
        assert (await track(client, alice, f"stop-{n}", "x")).status_code == 200
    await pipeline.stop()  # the app's shutdown: nothing that followed a commit is dropped
    assert sum(done) == 3
    await pipeline.start()


async def test_work_that_is_cancelled_does_not_stop_the_queue(server: Server) -> None:
    queue = server.services.pipeline.after_commit
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


async def test_stopping_does_not_wait_forever_for_stuck_work() -> None:
    from floorwalker.store.aftercommit import AfterCommit
    queue = AfterCommit()
    queue.start()
    gate = asyncio.Event()

    async def stuck() -> None:
        await gate.wait()

    await queue.submit(stuck)
    await asyncio.wait_for(queue.stop(patience=0.2), 10)  # logs what it left behind
    gate.set()
