"""On-commit hooks: what follows a write runs only once it is committed, in order."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from floorwalker.store.engine import make_engine
from floorwalker.store.tables import workspaces
from floorwalker.store.transaction import Transaction, atomic


async def add_workspace(tx: Transaction, slug: str) -> None:
    # A plain INSERT: on SQLite, pysqlite commits a SAVEPOINT's work when it is released
    # (begin_nested), which is a separate problem from the hooks tested here.
    await tx.conn.execute(workspaces.insert().values(
        id=f"ws_{slug}", slug=slug, name=slug, created_at=time.time(), settings="{}"))


async def count(url: str) -> int:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(workspaces)))
                       .scalar_one())
    finally:
        await engine.dispose()


async def test_hooks_run_after_the_commit_in_order(database_url: str) -> None:
    engine = make_engine(database_url)
    heard: list[tuple[str, int]] = []
    try:
        async with atomic(engine) as tx:
            await add_workspace(tx, "acme")

            async def first() -> None:
                heard.append(("first", await count(database_url)))  # another connection

            async def second() -> None:
                heard.append(("second", await count(database_url)))

            tx.on_commit(first)
            tx.on_commit(second)
            assert heard == []  # nothing before the commit
    finally:
        await engine.dispose()
    # Each hook already sees the committed row from another connection.
    assert heard == [("first", 1), ("second", 1)]


async def test_no_hook_runs_when_the_transaction_rolls_back(database_url: str) -> None:
    engine = make_engine(database_url)
    heard: list[str] = []

    async def hook() -> None:
        heard.append("published")

    async def failing_write() -> None:
        async with atomic(engine) as tx:
            await add_workspace(tx, "acme")
            tx.on_commit(hook)
            raise RuntimeError("the write failed half way")

    try:
        with pytest.raises(RuntimeError):
            await failing_write()
    finally:
        await engine.dispose()
    assert heard == []
    assert await count(database_url) == 0


async def test_a_failing_hook_does_not_stop_the_next(database_url: str) -> None:
    engine = make_engine(database_url)
    heard: list[str] = []

    async def broken() -> None:
        raise ValueError("a webhook that fails")

    async def after() -> None:
        heard.append("after")

    try:
        async with atomic(engine) as tx:
            await add_workspace(tx, "acme")
            tx.on_commit(broken)
            tx.on_commit(after)
    finally:
        await engine.dispose()
    assert heard == ["after"]
