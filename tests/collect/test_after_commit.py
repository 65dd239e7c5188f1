"""What follows a commit runs off the writer, in commit order, and never wedges it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from floorwalker.profiles.unit import UnitOfWork
from floorwalker.store.aftercommit import AfterCommit
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


async def test_post_commit_work_that_writes_through_the_writer_does_not_wedge_it(
        server: Server, client: httpx.AsyncClient, alice: Tenant) -> None:
    # A listener that runs a command of its own, with effects of its own (as a rating or
    # a routing step may): its effects cannot queue behind the work that waits for them.
    pipeline = server.services.pipeline
    ran: list[str] = []

    async def body(_unit: UnitOfWork) -> str:
        return "written"

    async def effects(result: str) -> None:
        ran.append(f"effects of {result}")

    async def writes(committed: list[Any]) -> None:
        if any(c.event.anonymous_id == "nested" for c in committed):
            ran.append(await pipeline.run_unit(body, effects))

    pipeline.listeners.insert(0, writes)
    try:
        r = await track(client, alice, "nested", "search")
        assert r.status_code == 200, r.text
        await asyncio.wait_for(pipeline.after_commit.idle(), 10)
        r = await asyncio.wait_for(track(client, alice, "later", "search"), 10)
        assert r.status_code == 200, r.text
    finally:
        pipeline.listeners.remove(writes)
    assert ran == ["effects of written", "written"]


async def test_stopping_runs_what_is_queued_and_what_it_queues(
        server: Server, client: httpx.AsyncClient, alice: Tenant) -> None:
    pipeline = server.services.pipeline
    done: list[str] = []

    async def body(_unit: UnitOfWork) -> str:
        return "command"

    async def slow(committed: list[Any]) -> None:
        await asyncio.sleep(0.05)
        done.extend(c.event.name for c in committed)
        done.append(await pipeline.run_unit(body))  # more work for the writer

    pipeline.listeners.insert(0, slow)
    try:
        for n in range(3):
            assert (await track(client, alice, f"stop-{n}", f"x{n}")).status_code == 200
        # The app's shutdown: nothing that followed a commit is dropped.
        await asyncio.wait_for(pipeline.stop(), 20)
    finally:
        pipeline.listeners.remove(slow)
        await pipeline.start()
    assert sorted(d for d in done if d != "command") == ["x0", "x1", "x2"]
    assert done.count("command") == len(done) // 2


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
