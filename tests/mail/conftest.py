"""A real SMTP mailbox on loopback, on a thread of its own (for apps in a TestClient)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator

import pytest

from floorwalker.mail import addresses
from floorwalker.mail.sink import Caught, Mailbox
from floorwalker.store.engine import make_engine
from floorwalker.store.transaction import atomic


class ThreadedMailbox:
    """A :class:`Mailbox` serving from its own event loop and thread."""

    def __init__(self) -> None:
        self.box = Mailbox()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.box.start())
            ready.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, name="test-mailbox", daemon=True)
        self.thread.start()
        assert ready.wait(10)

    @property
    def url(self) -> str:
        return self.box.url

    @property
    def caught(self) -> list[Caught]:
        return list(self.box.caught)

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Caught]:
        deadline = time.monotonic() + seconds
        while len(self.box.caught) < count:
            assert time.monotonic() < deadline, f"{len(self.box.caught)} e-mails, not {count}"
            time.sleep(0.02)
        return list(self.box.caught)

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.box.stop(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def mailbox() -> Iterator[ThreadedMailbox]:
    box = ThreadedMailbox()
    yield box
    box.close()


def unsubscribed(database_url: str, workspace_id: str, address: str) -> None:
    """``address`` asked for no more e-mail from the workspace (as its link does)."""
    async def mark() -> None:
        engine = make_engine(database_url)
        try:
            async with atomic(engine) as tx:
                await addresses.mark(tx.conn, workspace_id, address, addresses.UNSUBSCRIBED,
                                     "test", time.time())
        finally:
            await engine.dispose()
    asyncio.run(mark())
