"""Values computed from the profile at evaluation time: time on site, local time, scores."""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from floorwalker.rules.conditions.values import MISSING
from floorwalker.rules.context import EvalContext

DAY = 86400.0
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_LOCAL_KEY = "conditions.local_time"
_SCORE_KEY = "conditions.engagement_score"


def time_on_site(ctx: EvalContext) -> Any:
    """Seconds in this visit; a timer evaluation (no event) counts up to ``now``."""
    session = ctx.profile.session
    if session is None:
        return MISSING
    seconds = max(0.0, session.last_event_at - session.started_at)
    if ctx.event is None:
        seconds = max(seconds, ctx.now - session.started_at)
    return seconds


def idle_seconds(ctx: EvalContext) -> Any:
    """Seconds since the visit's last event."""
    session = ctx.profile.session
    if session is None:
        return MISSING
    return max(0.0, ctx.now - session.last_event_at)


def days_since_first_seen(ctx: EvalContext) -> Any:
    """Days (fractional) since the visitor was first seen."""
    first = ctx.profile.first_seen
    return max(0.0, (ctx.now - first) / DAY) if first > 0 else MISSING


def days_since_last_purchase(ctx: EvalContext) -> Any:
    """Days (fractional) since the latest purchase kept on the profile; None if never."""
    purchases = ctx.profile.purchases
    if not purchases:
        return None
    return max(0.0, (ctx.now - max(p.at for p in purchases)) / DAY)


def visits_within(ctx: EvalContext, seconds: float) -> int:
    """Visits that started in the last ``seconds``."""
    cutoff = ctx.now - seconds
    count = 0
    for started in reversed(ctx.profile.visit_starts):
        if started <= cutoff:
            break
        count += 1
    return count


def site_value(ctx: EvalContext, name: str) -> Any:
    """The site's own value of ``name``: the event's property (a data-layer push), else
    the visitor's attribute (identify traits, ``$set``); None when it sent neither."""
    if ctx.event is not None:
        value = ctx.event.properties.get(name)
        if value is not None:
            return value
    return ctx.profile.attributes.get(name)


def _number(value: Any) -> float | None:
    """A finite number, from a number or a numeric string (data layers send both)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def engagement_score(ctx: EvalContext) -> Any:
    """The site's own ``engagement_score`` when it sends one (see :func:`site_value`),
    else ours, 0-100: pages this visit, time on site, visits in 30 days, purchases (see
    REFERENCE)."""
    memo = ctx.memo
    score = memo.get(_SCORE_KEY)
    if score is None:
        score = _number(site_value(ctx, "engagement_score"))
    if score is None:
        session = ctx.profile.session
        pages = session.pages_viewed if session is not None else 0
        seconds = time_on_site(ctx) if session is not None else 0.0
        score = round(min(30.0, 5.0 * pages) + min(20.0, seconds / 30.0)
                      + min(20.0, 5.0 * visits_within(ctx, 30 * DAY))
                      + min(30.0, 10.0 * ctx.profile.purchase_count), 1)
    memo[_SCORE_KEY] = score
    return score


def user_type(ctx: EvalContext) -> Any:
    """The site's own ``user_type`` when it sends one (lower-cased), else ours:
    ``customer`` after a purchase, ``prospect`` before."""
    own = site_value(ctx, "user_type")
    if isinstance(own, str) and own.strip():
        return own.strip().lower()[:64]
    return "customer" if ctx.profile.purchase_count > 0 else "prospect"


@functools.lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    """The IANA zone called ``name``, or None when there is no such zone."""
    try:
        return ZoneInfo(name)
    except Exception:  # unknown names, paths, odd characters: all just "no zone"
        return None


def time_zone_name(ctx: EvalContext) -> str | None:
    """The visitor's time zone: from geo, else from the event's context, else None."""
    geo = ctx.profile.geo
    name = geo.get("time_zone") if geo else None
    if not isinstance(name, str) and ctx.event is not None:
        name = ctx.event.context.get("timezone")
    return name if isinstance(name, str) and 0 < len(name) <= 64 else None


def local_time(ctx: EvalContext) -> tuple[int, str] | None:
    """Hour (0-23) and weekday ("mon".."sun") now, in the visitor's time zone."""
    memo = ctx.memo
    cached = memo.get(_LOCAL_KEY)
    if cached is None:
        name = time_zone_name(ctx)
        tz = (zone(name) if name else None) or UTC
        try:
            moment = datetime.fromtimestamp(ctx.now, tz)
        except (OverflowError, OSError, ValueError):
            cached = ()
        else:
            cached = (moment.hour, WEEKDAYS[moment.weekday()])
        memo[_LOCAL_KEY] = cached
    return cached or None


def local_hour(ctx: EvalContext) -> Any:
    """The visitor's local hour, 0-23."""
    local = local_time(ctx)
    return local[0] if local else MISSING


def local_weekday(ctx: EvalContext) -> Any:
    """The visitor's local weekday, "mon".."sun"."""
    local = local_time(ctx)
    return local[1] if local else MISSING
