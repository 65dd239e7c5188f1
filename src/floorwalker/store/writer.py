"""The one writer task of a process: every write on profiles runs here, in order.

Two kinds of work share its queue. Groups of work that can be committed together
(requests of tracking events) are gathered, up to ``max_batch`` items, and handed to the
owner's ``commit_group``. Commands (erasure, timers, segment re-evaluation, snoozes) run
alone, each in a transaction of its own, after everything queued before them.

What follows a commit (frames, alerts, webhooks) goes to the after-commit queue
(`store/aftercommit.py`), in commit order; its own drain task runs it, so a slow
listener never holds up the next commit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from floorwalker.store.aftercommit import AfterCommit

log = structlog.get_logger("floorwalker.writer")
T = TypeVar("T")
P = TypeVar("P")

Command = Callable[[AsyncConnection], Awaitable[Any]]


class StorageUnavailable(Exception):
    """The transaction could not be committed; the client should retry."""


@dataclass(slots=True)
class Job(Generic[P]):
    """One piece of the writer's work and the future its caller waits on."""

    future: asyncio.Future[Any]
    payload: P | None = None  # a group member: committed with its neighbours
    size: int = 0
    command: Command | None = None  # or a command, run alone
    after: Callable[[Any], Awaitable[None]] | None = None  # in the writer (caches)
    effects: Callable[[Any], Awaitable[None]] | None = None  # after commit, off the writer


class Writer(Generic[P]):
    """The writer task, its queue and the after-commit queue it feeds."""

    def __init__(self, engine: AsyncEngine,
                 commit_group: Callable[[list[Job[P]]], Awaitable[None]],
                 *, max_batch: int, after_commit: AfterCommit | None = None) -> None:
        self.engine = engine
        self.commit_group = commit_group
        self.max_batch = max_batch
        self.after_commit = after_commit or AfterCommit()
        self._queue: asyncio.Queue[Job[P]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the writer takes work."""
        return self._task is not None

    async def start(self) -> None:
        """Start the writer and the after-commit queue."""
        if self._task is None:
            self.after_commit.start()
            self._task = asyncio.create_task(self._run(), name="floorwalker-writer")

    async def stop(self, patience: float = 30.0) -> None:
        """Finish the work queued and what follows it, then stop.

        Work that follows a commit may queue more commands (a post-commit step that writes),
        so the two queues are drained in turn; whatever a stuck listener still holds after
        ``patience`` seconds is given up, and its callers get ``StorageUnavailable``.
        """
        if self._task is None:
            return
        try:
            async with asyncio.timeout(patience):
                await self.idle()
                await self.after_commit.idle()
                await self.idle()
        except TimeoutError:
            log.error("the writer's work did not finish before shutdown")
        task, self._task = self._task, None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await self.after_commit.stop(patience=1.0)
        while not self._queue.empty():
            job = self._queue.get_nowait()
            if not job.future.done():
                job.future.set_exception(StorageUnavailable("the writer has stopped"))

    async def submit(self, payload: P, size: int) -> Any:
        """Queue ``payload`` for a group commit; returns what ``commit_group`` answered."""
        if self._task is None:
            raise StorageUnavailable("the writer is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put(Job(future, payload, size))
        return await future

    async def run_exclusive(self, command: Callable[[AsyncConnection], Awaitable[T]],
                            after: Callable[[T], Awaitable[None]] | None = None,
                            effects: Callable[[T], Awaitable[None]] | None = None) -> T:
        """Run ``command`` alone, in its own transaction, after everything queued before.

        Once committed, ``after`` runs in the writer (caches only), then ``effects``
        (frames, alerts...) in order with other post-commit work, off the writer. Returns
        when both ran.
        """
        if self._task is None:
            raise StorageUnavailable("the writer is not running")
        if effects is not None and self.after_commit.inside():
            # Called from post-commit work: queueing the effects behind the work that waits
            # for them would wait forever. It already runs in order: run them here.
            result = await self.run_exclusive(command, after)
            await effects(result)
            return result
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        await self._queue.put(Job(future, None, 0, command, after, effects))
        return await future

    async def idle(self) -> None:
        """Wait until the work queued so far is done."""
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        await self._queue.put(Job(done))
        await done

    # -- the task ----------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            job = await self._queue.get()
            if job.payload is None:
                await self._single(job)
                continue
            group, count = [job], job.size
            while count < self.max_batch and not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt.payload is None:
                    # Commands and markers wait for the groups queued before them.
                    await self.commit_group(group)
                    group, count = [], 0
                    await self._single(nxt)
                    break
                group.append(nxt)
                count += nxt.size
            if group:
                await self.commit_group(group)

    async def _single(self, job: Job[P]) -> None:
        if job.command is None:  # a marker: everything before it is done
            if not job.future.done():
                job.future.set_result(None)
            return
        try:
            async with self.engine.begin() as conn:
                result = await job.command(conn)
        except Exception as exc:  # the caller decides what the error means
            if not job.future.done():
                job.future.set_exception(exc)
            return
        if job.after is not None:
            try:
                await job.after(result)
            except Exception:
                log.exception("after-commit step failed")
        effects = job.effects
        if effects is None:
            if not job.future.done():
                job.future.set_result(result)
            return
        future = job.future

        async def effects_then_answer() -> None:
            try:
                await effects(result)
            finally:
                if not future.done():
                    future.set_result(result)

        await self.after_commit.submit(effects_then_answer)
