"""The decisions and timers tables: written only here and by the engine's runtime.

A decision is what the rules decided for a visitor (fired, suppressed and why, held out);
engage hands it to the browser and records the answer, chat marks the invitation that
started a conversation, and an agent's own invitation is a decision too. They all write
through these functions. Merges and erasure reach these rows through :data:`VISITOR_ROWS`,
which the profiles feature calls without knowing what the rows are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.store.tables import decisions, timers

_INSERT = decisions.insert()


async def record(conn: AsyncConnection, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert decisions (the engine's, or an agent's invitation)."""
    if rows:
        await conn.execute(_INSERT, rows)


async def withdraw(conn: AsyncConnection, decision_id: str, reason: str) -> None:
    """A message replaced by a more urgent one: withdrawn, if still unanswered (a
    dismissal or an answer stays as recorded)."""
    await conn.execute(update(decisions).where(
        decisions.c.id == decision_id,
        decisions.c.response.is_(None) | (decisions.c.response == "shown"),
    ).values(outcome="withdrawn", reason=reason))


async def find(conn: AsyncConnection, workspace_id: str, visitor_id: str,
               decision_id: str) -> Row[Any] | None:
    """A visitor's decision by id (None when it is not theirs)."""
    return (await conn.execute(select(decisions).where(
        decisions.c.id == decision_id, decisions.c.workspace_id == workspace_id,
        decisions.c.visitor_id == visitor_id))).first()


async def answer(conn: AsyncConnection, workspace_id: str, visitor_id: str,
                 decision_id: str, response: str, now: float) -> None:
    """Record the visitor's answer (shown, dismissed, accepted, replied)."""
    await conn.execute(update(decisions).where(
        decisions.c.id == decision_id, decisions.c.workspace_id == workspace_id,
        decisions.c.visitor_id == visitor_id).values(response=response, responded_at=now))


async def claim_undelivered(conn: AsyncConnection, workspace_id: str, visitor_id: str,
                            actions: Iterable[str], now: float) -> list[Any]:
    """The payloads of a visitor's live decisions not yet delivered, each claimed so that
    two polls at once never both get the same one; oldest first."""
    rows = (await conn.execute(select(decisions.c.id, decisions.c.payload).where(
        decisions.c.workspace_id == workspace_id, decisions.c.visitor_id == visitor_id,
        decisions.c.outcome.in_(("fired", "fallback")),
        decisions.c.action_type.in_(sorted(actions)),
        decisions.c.delivered_at.is_(None), decisions.c.expires_at > now,
    ).order_by(decisions.c.created_at))).all()
    out = []
    for row in rows:
        claimed = await conn.execute(update(decisions).where(
            decisions.c.id == row.id, decisions.c.delivered_at.is_(None)).values(
            delivered_at=now))
        if claimed.rowcount == 1 and row.payload:
            out.append(row.payload)
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
        """Erasure: nothing of the visitor stays."""
        await conn.execute(delete(decisions).where(decisions.c.visitor_id == visitor_id,
                                                   decisions.c.workspace_id == workspace_id))
        await conn.execute(delete(timers).where(timers.c.visitor_id == visitor_id))


VISITOR_ROWS = _VisitorRows()
