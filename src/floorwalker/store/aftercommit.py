"""Work that follows a commit, in commit order, in its own task so it never holds up
the writer.

The writer commits a group of events (or one command) and hands what follows it (rule
side effects, frames, alerts, webhooks) to this queue, then goes straight on to the next
commit. One task drains the queue in order, so what follows one commit never overtakes
what followed an earlier one: frames for one visitor or one conversation keep their order.
A slow listener delays other side effects, never a commit; the queue is bounded, so a
listener that cannot keep up at all slows the writer down instead of eating memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger("floorwalker.aftercommit")

Work = Callable[[], Awaitable[None]]
# Set in the drain task (and the tasks it starts): work running there is post-commit work.
_draining: contextvars.ContextVar[AfterCommit | None] = contextvars.ContextVar(
    "floorwalker_after_commit", default=None)


class AfterCommit:
    """A FIFO of post-commit work and the task that drains it."""

    def __init__(self, limit: int = 10_000) -> None:
        self._queue: asyncio.Queue[tuple[Work, asyncio.Future[None] | None]] = (
            asyncio.Queue(limit))
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Begin draining."""
        if self._task is None:
            self._task = asyncio.create_task(self._drain(), name="floorwalker-after-commit")

    async def stop(self, patience: float = 30.0) -> None:
        """Run what is queued (waiting at most ``patience`` seconds), then stop."""
        if self._task is None:
            return
        try:
            async with asyncio.timeout(patience):
                await self.idle()
        except TimeoutError:
            log.error("after-commit work did not finish before shutdown",
                      waiting=self._queue.qsize())
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def inside(self) -> bool:
        """Whether the caller is post-commit work of this queue (run by its task)."""
        return _draining.get() is self

    async def submit(self, work: Work) -> None:
        """Queue ``work``; it runs after everything queued before it. Its errors are logged.

        Not started (a script, a test), or called from post-commit work (which runs in
        order already, and must not wait behind itself), it runs now.
        """
        if self._task is None or self.inside():
            await self._run(work)
            return
        await self._queue.put((work, None))

    async def submit_and_wait(self, work: Work) -> None:
        """Queue ``work`` and wait until it has run (the caller waits, not the writer)."""
        if self._task is None or self.inside():
            await self._run(work)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        await self._queue.put((work, done))
        await done

    async def idle(self) -> None:
        """Wait until everything queued so far has run."""
        if self._task is not None:
            await self.submit_and_wait(_nothing)

    @property
    def depth(self) -> int:
        """How many pieces of work wait."""
        return self._queue.qsize()

    async def _drain(self) -> None:
        _draining.set(self)
        while True:
            work, done = await self._queue.get()
            try:
                await self._run(work)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise  # we are being stopped
                # The work itself was cancelled (a future it awaited): the queue goes on,
                # or everything behind it, and whoever waits for it, would wait forever.
                log.warning("after-commit work was cancelled")
            finally:
                if done is not None and not done.done():
                    done.set_result(None)

    @staticmethod
    async def _run(work: Work) -> None:
        try:
            await work()
        except Exception:
            log.exception("after-commit work failed")


async def _nothing() -> None:
    return None
