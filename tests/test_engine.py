"""The SQLite engine survives the way SQLAlchemy ends a connection whose query was
cancelled: a shielded ``close()`` raced by a forced ``stop()``.

With aiosqlite's own connection the close never finished, so the event loop's shutdown
waited for it forever (the test suite hung in a client's teardown about one run in five).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from floorwalker.store.engine import make_engine


def test_a_close_raced_by_a_forced_stop_ends(tmp_path: Path) -> None:
    async def run() -> int:
        engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'a.db'}")
        try:
            async with engine.connect() as conn:
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                closing = asyncio.create_task(driver.close())  # the graceful close...
                await asyncio.sleep(0)
                driver.stop()  # ...and the forced stop when waiting for it was cancelled
                await asyncio.wait_for(closing, 5)  # TimeoutError before the fix
                raw.invalidate()
            async with engine.connect() as conn:  # the pool opens a fresh connection
                return int((await conn.execute(text("select 41 + 1"))).scalar_one())
        finally:
            await engine.dispose()

    assert asyncio.run(run()) == 42
