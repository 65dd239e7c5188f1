"""The decisions, funnel_days and timers tables: written only here and by the engine's
runtime.

A decision is what the rules decided for a visitor (fired, suppressed and why, held out);
engage hands it to the browser and records the answer, chat marks the invitation that
started a conversation and its first answer, and an agent's own invitation is a decision
too. They all write through these functions. Merges and erasure reach these rows through
:data:`VISITOR_ROWS`, which the profiles feature calls without knowing what the rows are.

Every change to a decision also changes ``funnel_days``, in the same transaction: the
row's contribution before the change is taken off its day's counts and the one after is
added (:func:`_bump`). A change is a compare-and-set on the values it read, so two
answers at once cannot both count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Integer, Row, case, cast, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from floorwalker.store.tables import conversations, decisions, funnel_days, messages, timers

_INSERT = decisions.insert()
DAY = 86_400.0
DECIDED = frozenset({"fired", "fallback", "withdrawn"})
ENGAGED = frozenset({"accepted", "replied"})
COUNTS = ("n", "delivered", "shown", "engaged", "chats", "answered")
# What a decision's contribution to funnel_days depends on.
_READ = (decisions.c.id, decisions.c.workspace_id, decisions.c.created_at,
         decisions.c.scenario_key, decisions.c.variant, decisions.c.outcome,
         decisions.c.reason, decisions.c.delivered_at, decisions.c.response,
         decisions.c.chat_at, decisions.c.answered_at)
Key = tuple[str, int, str, str, str, str]


def _kind(outcome: str) -> str:
    return "decided" if outcome in DECIDED else outcome[:16]


def _contribution(row: Mapping[str, Any]) -> tuple[Key, tuple[int, ...]]:
    """Where one decision counts in funnel_days, and what it adds there."""
    kind = _kind(row["outcome"])
    key = (row["workspace_id"], int(row["created_at"] // DAY), row["scenario_key"],
           row.get("variant") or "", kind,
           (row.get("reason") or "")[:64] if kind == "suppressed" else "")
    response = row.get("response")
    return key, (1, int(row.get("delivered_at") is not None), int(response is not None),
                 int(response in ENGAGED), int(row.get("chat_at") is not None),
                 int(row.get("answered_at") is not None))


class _Deltas:
    """Changes to funnel_days counts, summed per key."""

    def __init__(self) -> None:
        self.by_key: dict[Key, list[int]] = {}

    def add(self, row: Mapping[str, Any], sign: int = 1) -> None:
        key, counts = _contribution(row)
        acc = self.by_key.setdefault(key, [0] * len(COUNTS))
        for i, value in enumerate(counts):
            acc[i] += sign * value

    def change(self, before: Mapping[str, Any], after: Mapping[str, Any]) -> None:
        self.add(before, -1)
        self.add(after, 1)


_UPSERT: dict[str, Any] = {"sqlite": sqlite.insert(funnel_days),
                           "postgresql": postgresql.insert(funnel_days)}


async def _bump(conn: AsyncConnection, deltas: _Deltas) -> None:
    """Add the deltas to funnel_days (an upsert per key, in key order: two transactions
    never take the same rows' locks in opposite orders). A write only: the group
    commit's SQLite writer may hold it until the commit."""
    rows = [{"workspace_id": k[0], "day": k[1], "scenario_key": k[2], "variant": k[3],
             "kind": k[4], "reason": k[5], **dict(zip(COUNTS, v, strict=True))}
            for k, v in sorted(deltas.by_key.items()) if any(v)]
    if not rows:
        return
    stmt = _UPSERT[conn.dialect.name]
    stmt = stmt.on_conflict_do_update(
        index_elements=[funnel_days.c.workspace_id, funnel_days.c.day,
                        funnel_days.c.scenario_key, funnel_days.c.variant,
                        funnel_days.c.kind, funnel_days.c.reason],
        set_={name: funnel_days.c[name] + stmt.excluded[name] for name in COUNTS})
    await conn.execute(stmt, rows)


async def _change(conn: AsyncConnection, where: Sequence[ColumnElement[bool]],
                  values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Update the decisions ``where`` says with ``values``, each by a compare-and-set on
    what it read (a row someone changed meanwhile is read again), and move their
    funnel_days counts. Returns the rows as they were before."""
    deltas = _Deltas()
    changed = []
    for row in (await conn.execute(select(*_READ).where(*where))).mappings().all():
        before = dict(row)
        for _attempt in range(3):
            guard = [decisions.c[name].is_not_distinct_from(before[name])
                     for name in values if name in before]
            done = await conn.execute(update(decisions).where(
                decisions.c.id == before["id"], *guard).values(**values))
            if done.rowcount == 1:
                deltas.change(before, {**before, **values})
                changed.append(before)
                break
            again = (await conn.execute(select(*_READ).where(
                decisions.c.id == before["id"], *where))).mappings().first()
            if again is None:
                break  # no longer one to change
            before = dict(again)
    await _bump(conn, deltas)
    return changed


async def record(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert decisions (the engine's, or an agent's invitation)."""
    if rows:
        await conn.execute(_INSERT, rows)
        deltas = _Deltas()
        for row in rows:
            deltas.add(row)
        await _bump(conn, deltas)


async def withdraw(conn: AsyncConnection, decision_id: str, reason: str) -> None:
    """A message replaced by a more urgent one: withdrawn, if still on offer and
    unanswered (a dismissal or an answer stays as recorded). A withdrawn message was
    decided as the fired one was: funnel_days stays as it is, and this runs in the
    group commit's write-only part (no read first)."""
    await conn.execute(update(decisions).where(
        decisions.c.id == decision_id, decisions.c.outcome.in_(("fired", "fallback")),
        decisions.c.response.is_(None) | (decisions.c.response == "shown"),
    ).values(outcome="withdrawn", reason=reason))


async def chat_started(conn: AsyncConnection, decision_id: str, at: float) -> None:
    """The invitation started a conversation (its first one counts)."""
    await _change(conn, [decisions.c.id == decision_id, decisions.c.chat_at.is_(None)],
                  {"chat_at": at})


async def chat_answered(conn: AsyncConnection, decision_id: str, at: float) -> None:
    """An agent answered in the conversation the invitation started (the first time)."""
    await _change(conn, [decisions.c.id == decision_id, decisions.c.answered_at.is_(None)],
                  {"answered_at": at})


async def find(conn: AsyncConnection, workspace_id: str, visitor_id: str,
               decision_id: str) -> Row[Any] | None:
    """A visitor's decision by id (None when it is not theirs)."""
    return (await conn.execute(select(decisions).where(
        decisions.c.id == decision_id, decisions.c.workspace_id == workspace_id,
        decisions.c.visitor_id == visitor_id))).first()


async def answer(conn: AsyncConnection, workspace_id: str, visitor_id: str,
                 decision_id: str, response: str, now: float) -> None:
    """Record the visitor's answer (shown, dismissed, accepted, replied)."""
    await _change(conn, [decisions.c.id == decision_id,
                         decisions.c.workspace_id == workspace_id,
                         decisions.c.visitor_id == visitor_id],
                  {"response": response, "responded_at": now})


async def claim_undelivered(conn: AsyncConnection, workspace_id: str, visitor_id: str,
                            actions: Iterable[str], now: float) -> list[Any]:
    """The payloads of a visitor's live decisions not yet delivered, each claimed so that
    two polls at once never both get the same one; oldest first."""
    rows = (await conn.execute(select(*_READ, decisions.c.payload).where(
        decisions.c.workspace_id == workspace_id, decisions.c.visitor_id == visitor_id,
        decisions.c.outcome.in_(("fired", "fallback")),
        decisions.c.action_type.in_(sorted(actions)),
        decisions.c.delivered_at.is_(None), decisions.c.expires_at > now,
    ).order_by(decisions.c.created_at))).mappings().all()
    out = []
    deltas = _Deltas()
    for row in rows:
        claimed = await conn.execute(update(decisions).where(
            decisions.c.id == row["id"], decisions.c.delivered_at.is_(None)).values(
            delivered_at=now))
        if claimed.rowcount == 1:
            deltas.change(dict(row), {**row, "delivered_at": now})
            if row["payload"]:
                out.append(row["payload"])
    await _bump(conn, deltas)
    return out


async def withdrawn_on_screen(conn: AsyncConnection, workspace_id: str, visitor_id: str,
                              now: float) -> list[str]:
    """Decisions delivered to the visitor, then withdrawn, while still within their time
    on offer: a polling browser that may still show them takes them down."""
    rows = await conn.execute(select(decisions.c.id).where(
        decisions.c.workspace_id == workspace_id, decisions.c.visitor_id == visitor_id,
        decisions.c.outcome == "withdrawn", decisions.c.delivered_at.is_not(None),
        decisions.c.expires_at > now).order_by(decisions.c.created_at))
    return [str(r) for r in rows.scalars()]


class _VisitorRows:
    """A visitor's decisions and timers, for merges and erasure (profiles' VisitorRows)."""

    async def move(self, conn: AsyncConnection, source: str, target: str) -> None:
        """A merge: the decisions go with the visitor; the source's timers end."""
        await conn.execute(update(decisions).where(decisions.c.visitor_id == source)
                           .values(visitor_id=target))
        await conn.execute(timers.delete().where(timers.c.visitor_id == source))

    async def erase(self, conn: AsyncConnection, workspace_id: str, visitor_id: str) -> None:
        """Erasure: nothing of the visitor stays (their decisions leave the funnel too)."""
        mine = (decisions.c.visitor_id == visitor_id, decisions.c.workspace_id == workspace_id)
        deltas = _Deltas()
        for row in (await conn.execute(select(*_READ).where(*mine))).mappings():
            deltas.add(dict(row), -1)
        await conn.execute(delete(decisions).where(*mine))
        await _bump(conn, deltas)
        await conn.execute(delete(funnel_days).where(  # counts that are now empty
            funnel_days.c.workspace_id == workspace_id, funnel_days.c.n <= 0))
        await conn.execute(delete(timers).where(timers.c.visitor_id == visitor_id))


VISITOR_ROWS = _VisitorRows()


def day_number(column: Any, dialect: str) -> ColumnElement[Any]:
    """The UTC day number (days since 1970-01-01) of an epoch-seconds column."""
    if dialect == "postgresql":
        return cast(func.floor(column / DAY), Integer)
    return cast(column / DAY, Integer)  # SQLite truncates: the floor of a positive time


async def rebuild_funnel_days(conn: AsyncConnection, workspace_id: str) -> None:
    """Recompute a workspace's funnel_days from its decisions, after noting on each the
    conversation it started and that conversation's first agent answer. For rows written
    around these functions (an import, a benchmark's bulk load, a repair); the counts are
    kept by every write otherwise."""
    c, m, d = conversations.c, messages.c, decisions.c
    # Only decisions that started a conversation can have either (the rest stay NULL).
    started = select(c.decision_id).where(c.workspace_id == workspace_id,
                                          c.decision_id.is_not(None))
    await conn.execute(update(decisions).where(
        d.workspace_id == workspace_id, d.chat_at.is_not(None) | d.answered_at.is_not(None),
        d.id.not_in(started)).values(chat_at=None, answered_at=None))
    await conn.execute(update(decisions).where(
        d.workspace_id == workspace_id, d.id.in_(started)).values(
        chat_at=select(func.min(c.started_at)).where(c.decision_id == d.id)
        .scalar_subquery(),
        answered_at=select(func.min(m.created_at)).select_from(
            conversations.join(messages, m.conversation_id == c.id)).where(
            c.decision_id == d.id, m.author == "agent", m.internal.is_(False))
        .scalar_subquery()))
    await conn.execute(delete(funnel_days).where(funnel_days.c.workspace_id == workspace_id))
    decided = d.outcome.in_(sorted(DECIDED))
    kind = case((decided, "decided"), else_=func.substr(d.outcome, 1, 16))
    reason = case((d.outcome == "suppressed", func.coalesce(d.reason, "")), else_="")
    day = day_number(d.created_at, conn.dialect.name)
    variant = func.coalesce(d.variant, "")

    def count(condition: ColumnElement[bool]) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = select(d.workspace_id, day, d.scenario_key, variant, kind, reason, func.count(),
                  count(d.delivered_at.is_not(None)), count(d.response.is_not(None)),
                  count(d.response.in_(sorted(ENGAGED))), count(d.chat_at.is_not(None)),
                  count(d.answered_at.is_not(None))).where(
        d.workspace_id == workspace_id).group_by(d.workspace_id, day, d.scenario_key,
                                                 variant, kind, reason)
    await conn.execute(insert(funnel_days).from_select(
        ["workspace_id", "day", "scenario_key", "variant", "kind", "reason", *COUNTS], rows))
