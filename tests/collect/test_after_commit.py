"""The after-commit queue: work runs in the order it was queued, and it never wedges."""

from __future__ import annotations

import asyncio

from floorwalker.store.aftercommit import AfterCommit


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
