"""Time windows over the profile's recent events: counts, sequences and absences.

``profile.recent`` holds the last events as (name, time), oldest first; the event being
evaluated is already in it. Every window ends at ``ctx.now``.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from floorwalker.rules.conditions.derived import visits_within
from floorwalker.rules.context import EvalContext

Predicate = Callable[[EvalContext], bool]


def _ts(entry: tuple[str, float]) -> float:
    return entry[1]


def count_events(names: frozenset[str], within: float) -> Callable[[EvalContext], Any]:
    """Getter: how many events named in ``names`` happened in the last ``within`` seconds."""
    if len(names) == 1:
        (only,) = names

        def count_one(ctx: EvalContext) -> Any:
            cutoff = ctx.now - within
            count = 0
            for name, ts in reversed(ctx.profile.recent):
                if ts <= cutoff:
                    break
                if name == only:
                    count += 1
            return count

        return count_one

    def count(ctx: EvalContext) -> Any:
        cutoff = ctx.now - within
        total = 0
        for name, ts in reversed(ctx.profile.recent):
            if ts <= cutoff:
                break
            if name in names:
                total += 1
        return total

    return count


def count_visits(within: float) -> Callable[[EvalContext], Any]:
    """Getter: how many visits started in the last ``within`` seconds."""
    return lambda ctx: visits_within(ctx, within)


def sequence(steps: tuple[str, ...], within: float) -> Predicate:
    """True when ``steps`` happened in this order (gaps allowed) in the last ``within`` s."""
    last = len(steps)

    def occurred(ctx: EvalContext) -> bool:
        recent = ctx.profile.recent
        start = bisect.bisect_right(recent, ctx.now - within, key=_ts)
        step = 0
        for i in range(start, len(recent)):
            if recent[i][0] == steps[step]:
                step += 1
                if step == last:
                    return True
        return False

    return occurred


def absence(after: str, missing: frozenset[str], wait: float) -> Predicate:
    """True when the last ``after`` is at least ``wait`` s old and no ``missing`` followed."""

    def absent(ctx: EvalContext) -> bool:
        for name, ts in reversed(ctx.profile.recent):
            if name == after:
                return ts <= ctx.now - wait
            if name in missing:
                return False
        return False

    return absent
