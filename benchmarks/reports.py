"""Reports benchmark: the funnel and lift reports against a plain GROUP BY, same database.

Run it with ``.venv/bin/python benchmarks/reports.py [--db sqlite|postgresql|both]
[--decisions 1000000] [--conversations 100000] [--purchases 200000] [--rounds 3]``.

It fills a fresh database (SQLite in a temporary file; PostgreSQL in a database of its
own, ``fw_bench_reports`` on ``--pg``) with one workspace's synthetic month: decisions
over 24 scenario variants (fired, suppressed, held out; delivered, shown, answered),
conversations started from some of them with a visitor and often an agent message (20
agents, some chats transferred to a second), and purchases spread over the visitors.
Then, per round, it times:

  limit     SELECT scenario_key, variant, COUNT(*) FROM decisions WHERE <workspace, month>
            GROUP BY scenario_key, variant  (the cheapest query that reads every decision)
  funnel    ``measure.reports.funnel`` for the month (its stages from the daily rollup,
            ``funnel_days``, which the bulk load builds once as the migration would)
  lift      ``measure.reports.lift`` for the month
  agents    ``measure.reports.agents`` for the month (credit, support figures, baskets)

and prints each report's median time and its ratio to the limit's median (target: <= 3x).
This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from rich.progress import Progress
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from floorwalker.chat.service import rebuild_chat_facts
from floorwalker.measure import reports
from floorwalker.rules.decisions import rebuild_funnel_days
from floorwalker.store.engine import make_engine
from floorwalker.store.migrate import upgrade_async
from floorwalker.store.tables import decisions

WS = "ws_bench"
DAYS = 30
LAST = datetime.now(UTC).date()
FIRST = LAST - timedelta(days=DAYS - 1)
START = datetime(FIRST.year, FIRST.month, FIRST.day, tzinfo=UTC).timestamp()
SPAN = DAYS * 86400.0


def synthetic(n_decisions: int, n_conversations: int, n_purchases: int,
              seed: int = 7) -> dict[str, list[tuple[Any, ...]]]:
    """Rows for decisions, conversations, messages and conversions (column order below)."""
    rnd = random.Random(seed)
    visitors = max(1000, n_decisions // 5)
    scenarios = [(f"scenario_{i:02d}", v) for i in range(12) for v in ("a", "b")]
    dec, conv, msg, buy = [], [], [], []
    for n in range(n_decisions):
        key, variant = scenarios[n % len(scenarios)]
        at = START + rnd.random() * SPAN
        roll = rnd.random()
        outcome = "fired" if roll < 0.7 else ("held_out" if roll < 0.75 else "suppressed")
        delivered = at + 1 if outcome == "fired" and rnd.random() < 0.9 else None
        response = (rnd.choice(("shown", "shown", "dismissed", "accepted", "replied"))
                    if delivered and rnd.random() < 0.6 else None)
        dec.append((f"d{n}", WS, f"v{rnd.randrange(visitors)}", key, variant, outcome,
                    "min_gap" if outcome == "suppressed" else None, "chat_invitation",
                    "page", at, at + 300, delivered, response))
    fired = [d for d in dec if d[5] == "fired"]
    for n in range(n_conversations):
        d = fired[rnd.randrange(len(fired))]
        at = d[9] + 30
        conv.append((f"c{n}", WS, d[2], "closed", d[0], 2, 0, 0, at, at + 600,
                     rnd.choice(("sales", "support", "billing")), at + 600,
                     rnd.choice((5, 4, 3, None))))
        msg.append((f"c{n}-1", f"c{n}", WS, 1, "visitor", None, "hello", False, at))
        if rnd.random() < 0.8:  # 20 agents; one chat in ten is transferred to a second
            first = rnd.randrange(20)
            msg.append((f"c{n}-2", f"c{n}", WS, 2, "agent", f"agent{first}", "hi!", False,
                        at + 20))
            if rnd.random() < 0.1:
                msg.append((f"c{n}-3", f"c{n}", WS, 3, "agent", f"agent{(first + 1) % 20}",
                            "over to you", False, at + 200))
    for n in range(n_purchases):
        buy.append((WS, f"v{rnd.randrange(visitors)}", "purchase", f"o{n}",
                    round(rnd.uniform(5, 500), 2), "EUR", START + rnd.random() * SPAN))
    return {"decisions": dec, "conversations": conv, "messages": msg, "conversions": buy}


COLUMNS = {
    "decisions": ("id", "workspace_id", "visitor_id", "scenario_key", "variant", "outcome",
                  "reason", "action_type", "trigger", "created_at", "expires_at",
                  "delivered_at", "response"),
    "conversations": ("id", "workspace_id", "visitor_id", "status", "decision_id",
                      "last_seq", "visitor_read_seq", "agent_read_seq", "started_at",
                      "updated_at", "department", "closed_at", "rating"),
    "messages": ("id", "conversation_id", "workspace_id", "seq", "author", "author_id",
                 "text", "internal", "created_at"),
    "conversions": ("workspace_id", "visitor_id", "name", "transaction_id", "value",
                    "currency", "ts"),
}


def fill_sqlite(path: Path, rows: dict[str, list[tuple[Any, ...]]], progress: Progress) -> None:
    conn = sqlite3.connect(path)
    try:
        for table, data in rows.items():
            cols = COLUMNS[table]
            task = progress.add_task(f"sqlite {table}", total=len(data))
            sql = (f"INSERT INTO {table} ({', '.join(cols)}) "  # noqa: S608 (our names)
                   f"VALUES ({', '.join('?' * len(cols))})")
            for i in range(0, len(data), 50_000):
                conn.executemany(sql, data[i:i + 50_000])
                progress.advance(task, len(data[i:i + 50_000]))
            conn.commit()
        conn.execute("ANALYZE")
        conn.commit()
    finally:
        conn.close()


async def fill_postgres(engine: AsyncEngine, rows: dict[str, list[tuple[Any, ...]]],
                        progress: Progress) -> None:
    async with engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver: Any = raw.driver_connection
        for table, data in rows.items():
            task = progress.add_task(f"postgresql {table}", total=len(data))
            for i in range(0, len(data), 50_000):
                await driver.copy_records_to_table(table, records=data[i:i + 50_000],
                                                   columns=list(COLUMNS[table]))
                progress.advance(task, len(data[i:i + 50_000]))
        await driver.execute("ANALYZE")


async def median_seconds(run: Callable[[], Awaitable[Any]], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        await run()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def measure(engine: AsyncEngine, rounds: int) -> dict[str, float]:
    p = reports.Period(FIRST, LAST)
    d = decisions.c
    limit_q = select(d.scenario_key, d.variant, func.count()).where(
        d.workspace_id == WS, d.created_at >= p.since, d.created_at < p.until).group_by(
        d.scenario_key, d.variant)

    async def limit() -> None:
        async with engine.connect() as conn:
            (await conn.execute(limit_q)).all()

    async def funnel() -> None:
        async with engine.connect() as conn:
            await reports.funnel(conn, WS, p)

    async def lift() -> None:
        async with engine.connect() as conn:
            await reports.lift(conn, WS, p)

    async def agents() -> None:
        async with engine.connect() as conn:
            await reports.agents(conn, WS, p)

    started = time.perf_counter()
    async with engine.begin() as conn:  # what migrations 0011 and 0012 build from old rows
        await rebuild_funnel_days(conn, WS)
        await rebuild_chat_facts(conn, WS)
    async with engine.connect() as conn:  # fresh statistics for the planner, as after any load
        await (await conn.execution_options(isolation_level="AUTOCOMMIT")).execute(
            text("ANALYZE"))
    rollup = time.perf_counter() - started
    await limit()  # warm the caches the same way for everyone
    return {"rollup build": rollup, "limit": await median_seconds(limit, rounds),
            "funnel": await median_seconds(funnel, rounds),
            "lift": await median_seconds(lift, rounds),
            "agents": await median_seconds(agents, rounds)}


async def on_sqlite(rows: dict[str, list[tuple[Any, ...]]], rounds: int,
                    progress: Progress) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade_async(url)
        await asyncio.to_thread(fill_sqlite, path, rows, progress)
        engine = make_engine(url)
        try:
            return await measure(engine, rounds)
        finally:
            await engine.dispose()


async def on_postgres(pg: str, rows: dict[str, list[tuple[Any, ...]]], rounds: int,
                      progress: Progress) -> dict[str, float]:
    admin = make_engine(pg)
    name = "fw_bench_reports"
    try:
        async with admin.connect() as conn:
            auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await auto.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            await auto.execute(text(f"CREATE DATABASE {name}"))
    finally:
        await admin.dispose()
    url = pg.rsplit("/", 1)[0] + "/" + name
    await upgrade_async(url)
    engine = make_engine(url)
    try:
        await fill_postgres(engine, rows, progress)
        return await measure(engine, rounds)
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--decisions", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", default="postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    print(f"generating {args.decisions:,} decisions, {args.conversations:,} conversations, "
          f"{args.purchases:,} purchases over {DAYS} days ({FIRST} .. {LAST})")
    rows = synthetic(args.decisions, args.conversations, args.purchases)
    results: dict[str, dict[str, float]] = {}
    with Progress() as progress:
        if args.db in ("sqlite", "both"):
            results["sqlite"] = asyncio.run(on_sqlite(rows, args.rounds, progress))
        if args.db in ("postgresql", "both"):
            results["postgresql"] = asyncio.run(on_postgres(args.pg, rows, args.rounds,
                                                            progress))
    print(f"\nmedians of {args.rounds} rounds; ratio = report / limit (target <= 3x)")
    print(f"{'database':<12}{'limit':>10}" + "".join(
        f"{name:>10}{'ratio':>8}" for name in ("funnel", "lift", "agents")))
    for db, r in results.items():
        print(f"{db:<12}{r['limit']:>9.3f}s" + "".join(
            f"{r[name]:>9.3f}s{r[name] / r['limit']:>7.1f}x"
            for name in ("funnel", "lift", "agents")))
    for db, r in results.items():
        print(f"{db}: building the rollup and chat facts from scratch (once, at "
              f"migration) took {r['rollup build']:.1f} s")


if __name__ == "__main__":
    main()
