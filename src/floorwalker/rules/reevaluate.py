"""Re-evaluating live visitors' segment membership after a segment changes."""

from __future__ import annotations

from sqlalchemy import select

from floorwalker.profiles.unit import UnitOfWork, UnitRunner
from floorwalker.rules.output import Output
from floorwalker.rules.runtime import Rules
from floorwalker.store.tables import visitors

LIVE_WINDOW = 1800.0  # visitors seen in the last 30 minutes are "on the site"
MAX_VISITORS = 20_000


async def reevaluate_segments(rules: Rules, writer: UnitRunner, workspace_id: str) -> int:
    """Recompute segments for the workspace's live visitors; returns how many were checked."""
    rules.invalidate(workspace_id)
    prepared = await rules.prepare({workspace_id})
    rs, tables = prepared[workspace_id]
    out = Output()

    async def body(unit: UnitOfWork) -> int:
        now = unit.now
        ids = set((await unit.conn.execute(select(visitors.c.id).where(
            visitors.c.workspace_id == workspace_id,
            visitors.c.last_seen >= now - LIVE_WINDOW).limit(MAX_VISITORS))).scalars())
        await unit.load(ids)
        for vid in ids:
            profile = unit.profiles.get(vid)
            if profile is None:
                continue
            before = dict(profile.segments)
            rules.engine.update_segments(rs, rules.context(rs, tables, profile, None, now),
                                         out, "segment_changed")
            if profile.segments != before:
                unit.profile(vid)
        await rules.write(unit.conn, out)
        return len(ids)

    async def effects(_n: int) -> None:
        await rules.after_commit(out)

    return await writer.run_unit(body, effects)
