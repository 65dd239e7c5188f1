"""Reports: what each scenario's messages did, from decision to revenue (docs/reports.md).

Every figure is an aggregate the database computes (GROUP BY, EXISTS, a join on the
attribution window); no query loads a row per decision or per purchase into Python.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    false,
    func,
    literal,
    or_,
    select,
    text,
    union_all,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from floorwalker.errors import ApiError
from floorwalker.measure.conversions import CONVERSION_EVENT
from floorwalker.rules.decisions import day_number
from floorwalker.rules.ruleset import RuleSet
from floorwalker.store.tables import (
    conversation_agents,
    conversations,
    conversions,
    decisions,
    funnel_days,
)

DAY = 86_400.0
DEFAULT_WINDOW_HOURS = 48
MAX_WINDOW_HOURS = 24 * 30
MAX_DAYS = 366
DEFAULT_DAYS = 7
# A decision that chose to show something (withdrawn: shown, then replaced by a rescue).
DECIDED = ("fired", "fallback", "withdrawn")
ENGAGED = ("accepted", "replied")
STAGES = ("eligible", "decided", "delivered", "shown", "engaged", "chats", "answered",
          "converted")


@dataclass(frozen=True, slots=True)
class Period:
    """UTC days ``first``..``last`` (both included) and the attribution window."""

    first: date
    last: date
    window_hours: int = DEFAULT_WINDOW_HOURS

    @property
    def since(self) -> float:
        """The first day's start (epoch seconds)."""
        return datetime(self.first.year, self.first.month, self.first.day,
                        tzinfo=UTC).timestamp()

    @property
    def until(self) -> float:
        """The end of the last day (epoch seconds, excluded)."""
        return self.since + ((self.last - self.first).days + 1) * DAY

    @property
    def window(self) -> float:
        """The attribution window in seconds."""
        return self.window_hours * 3600.0

    def days(self) -> list[str]:
        """Every day of the period, oldest first (ISO dates)."""
        return [(self.first + timedelta(days=n)).isoformat()
                for n in range((self.last - self.first).days + 1)]


def period(since: str | None, until: str | None, window_hours: int | None,
           today: date | None = None) -> Period:
    """The period a request names (ISO dates, UTC), checked: 422 ``invalid_period``."""
    today = today or datetime.now(UTC).date()
    try:
        last = date.fromisoformat(until) if until else today
        first = date.fromisoformat(since) if since else last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        raise ApiError(422, "invalid_period", "since and until are dates: YYYY-MM-DD.",
                       [{"path": "$.since" if since else "$.until",
                         "problem": "not a date"}]) from None
    if first > last:
        raise ApiError(422, "invalid_period", "since is after until.",
                       [{"path": "$.since", "problem": "after until"}])
    if (last - first).days + 1 > MAX_DAYS:
        raise ApiError(422, "invalid_period", f"A report covers at most {MAX_DAYS} days.",
                       [{"path": "$.since", "problem": "period too long"}])
    hours = DEFAULT_WINDOW_HOURS if window_hours is None else window_hours
    if not 1 <= hours <= MAX_WINDOW_HOURS:
        raise ApiError(422, "invalid_period",
                       f"window_hours is between 1 and {MAX_WINDOW_HOURS}.",
                       [{"path": "$.window_hours", "problem": "out of range"}])
    return Period(first, last, hours)


@dataclass(frozen=True, slots=True)
class Goal:
    """What counts as a conversion: an event, the least value it needs, and the hours
    after a message or chat it may follow."""

    event: str = CONVERSION_EVENT
    min_value: float | None = None
    window_hours: int = DEFAULT_WINDOW_HOURS

    def as_dict(self) -> dict[str, Any]:
        """JSON."""
        return {"event": self.event, "min_value": self.min_value,
                "window_hours": self.window_hours}

    def match(self, at: Any, until: Any = None) -> ColumnElement[bool]:
        """A conversion row reaches this goal from ``at`` until the window after
        ``until`` (default: after ``at``)."""
        c = conversions.c
        end = at if until is None else until
        found = [c.name == self.event, c.ts >= at, c.ts < end + self.window_hours * 3600.0]
        if self.min_value is not None:
            found.append(c.value >= self.min_value)
        return and_(*found)


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report counts: the workspace's goal, each scenario's own, and the filters
    (one scenario, a segment the visitor was in at the time, a department)."""

    goal: Goal = Goal()
    goals: dict[str, Goal] = field(default_factory=dict)  # scenarios with their own
    scenario: str | None = None
    segment: str | None = None
    department: str | None = None
    # The department's scenarios (the funnel and the lift filter decisions by these).
    department_scenarios: frozenset[str] = frozenset()
    # The agents report counts chats where the visitor never wrote (a setting).
    silent_chats: bool = False

    def goal_of(self, scenario: str) -> Goal:
        """The goal a scenario's messages are measured against."""
        return self.goals.get(scenario, self.goal)

    def match(self, scenario: Any, at: Any) -> ColumnElement[bool]:
        """A conversion row reaches the goal of the decision's ``scenario`` within its
        window after ``at`` (one OR branch per distinct goal)."""
        if not self.goals:
            return self.goal.match(at)
        by_goal: dict[Goal, list[str]] = {}
        for key, goal in self.goals.items():
            by_goal.setdefault(goal, []).append(key)
        return or_(and_(scenario.not_in(list(self.goals)), self.goal.match(at)),
                   *(and_(scenario.in_(sorted(keys)), goal.match(at))
                     for goal, keys in by_goal.items()))

    def decisions(self, workspace_id: str, p: Period, table: Any = None
                  ) -> list[ColumnElement[bool]]:
        """The decisions a report counts: the workspace's, in the period, filtered."""
        d = (table if table is not None else decisions).c
        where = [d.workspace_id == workspace_id, d.created_at >= p.since,
                 d.created_at < p.until]
        if self.scenario:
            where.append(d.scenario_key == self.scenario)
        if self.segment:
            where.append(d.segments.contains(f",{self.segment},", autoescape=True))
        if self.department:
            keys = sorted(self.department_scenarios)
            where.append(d.scenario_key.in_(keys) if keys else false())
        return where

    def echo(self) -> dict[str, Any]:
        """The filters and goal as a report states them."""
        return {"filters": {"scenario": self.scenario, "segment": self.segment,
                            "department": self.department},
                "goal": self.goal.as_dict()}


def scope(rs: RuleSet, p: Period, *, window_given: bool = False, scenario: str | None = None,
          segment: str | None = None, department: str | None = None) -> Scope:
    """A report's scope from the workspace's rules: its goal (``conversion_event``,
    ``conversion_min_value``, the period's window) and each scenario's own. A window the
    request names (``window_given``) applies to every scenario."""
    settings = rs.settings
    base = Goal(settings.conversion_event, settings.conversion_min_value, p.window_hours)
    goals = {}
    for key, conv in rs.conversion_of.items():
        own = Goal(conv.event or base.event,
                   conv.min_value if conv.min_value is not None else base.min_value,
                   base.window_hours if window_given or conv.window_hours is None
                   else conv.window_hours)
        if own != base:
            goals[key] = own
    return Scope(base, goals, scenario or None, segment or None, department or None,
                 frozenset(k for k, dept in rs.department_of.items()
                           if department and (dept or "default") == department),
                 settings.count_chats_without_visitor_message)


@dataclass(slots=True)
class Figures:
    """One row of the funnel: counts per stage, orders and revenue per currency."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STAGES, 0))
    orders: int = 0
    revenue: dict[str, float] = field(default_factory=dict)

    def add(self, other: Figures) -> None:
        """Add ``other``'s figures to these."""
        for stage in STAGES:
            self.counts[stage] += other.counts[stage]
        self.orders += other.orders
        for currency, value in other.revenue.items():
            self.revenue[currency] = round(self.revenue.get(currency, 0.0) + value, 2)

    def as_dict(self) -> dict[str, Any]:
        """JSON: the counts, orders, revenue and the rates between stages."""
        c = self.counts
        return {**c, "orders": self.orders, "revenue": dict(sorted(self.revenue.items())),
                "engagement_rate": _rate(c["engaged"], c["shown"]),
                "conversion_rate": _rate(c["converted"], c["decided"])}


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _iso(day_number: Any) -> str:
    return (date(1970, 1, 1) + timedelta(days=int(day_number))).isoformat()


async def _tune(conn: AsyncConnection) -> None:
    """On PostgreSQL, this transaction sorts and hashes in memory (a month of decisions
    spilled to disk with the default 4 MB), skips JIT compilation, which costs more
    than these queries run, and lets the planner use parallel workers for scans and
    joins of a hundred thousand rows (the default costs keep a report's joins on one
    core: the agents report took a third longer). Plans are made for each call's
    values: from a prepared statement's sixth run PostgreSQL may otherwise switch to a
    generic plan, blind to the period, that took the agents report twice as long."""
    if conn.dialect.name == "postgresql":
        for setting in ("work_mem = '64MB'", "jit = off", "parallel_setup_cost = 100",
                        "parallel_tuple_cost = 0.01", "plan_cache_mode = force_custom_plan"):
            await conn.execute(text(f"SET LOCAL {setting}"))


async def funnel(conn: AsyncConnection, workspace_id: str, p: Period,
                 sc: Scope = Scope(), *, exact: bool = False) -> dict[str, Any]:
    """Each scenario and variant's funnel over the period, in total and per day.

    A stage counts decisions: eligible (every decision, suppressed ones too), decided
    (chose to show something), delivered (a frame or a poll took it to a browser), shown
    (the widget reported it visible), engaged (accepted or replied), chats (a conversation
    it started), answered (an agent wrote in that chat), converted (the person bought
    within the window after it). Revenue credits each order once per scenario and variant,
    to the day of the latest of their decisions before it. Conversions are the scope's
    goals (each scenario's own event, least value and window).

    The stages come from the daily counts every decision write keeps (``funnel_days``);
    with a segment filter (or ``exact``) they are counted from the decisions themselves.
    """
    await _tune(conn)
    stages, suppressed = await (_stages_from_decisions(conn, workspace_id, p, sc)
                                if exact or sc.segment else
                                _stages_from_rollups(conn, workspace_id, p, sc))
    rows: dict[tuple[str, str | None], dict[str, Figures]] = {}
    for (key, variant, day), counts in stages.items():
        fig = rows.setdefault((key, variant), {}).setdefault(_iso(day), Figures())
        for stage, value in counts.items():
            fig.counts[stage] += value
    for r in await conn.execute(_conversions(workspace_id, p, sc, conn.dialect.name)):
        fig = rows.setdefault((r.scenario_key, r.variant), {}).setdefault(
            _iso(r.day), Figures())
        fig.counts["converted"] += int(r.converted or 0)
        fig.orders += int(r.orders or 0)
        if r.currency is None and not r.value:
            continue  # conversions without a value (a sign-up): no revenue line
        currency = r.currency or "unknown"
        fig.revenue[currency] = round(fig.revenue.get(currency, 0.0) + float(r.value or 0), 2)

    out = []
    for (key, variant), by_day in sorted(rows.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        total = Figures()
        days = []
        for day_iso in p.days():
            fig = by_day.get(day_iso, Figures())
            total.add(fig)
            days.append({"day": day_iso, **fig.as_dict()})
        out.append({"scenario": key, "variant": variant, **total.as_dict(),
                    "suppressed": dict(sorted(suppressed.get((key, variant), {}).items())),
                    "goal": sc.goal_of(key).as_dict(), "days": days})
    return {"since": p.first.isoformat(), "until": p.last.isoformat(),
            "window_hours": p.window_hours, **sc.echo(), "scenarios": out}


Stages = dict[tuple[str, str | None, int], dict[str, int]]
Suppressed = dict[tuple[str, str | None], dict[str, int]]


def _days(p: Period) -> tuple[int, int]:
    epoch = date(1970, 1, 1)
    return (p.first - epoch).days, (p.last - epoch).days


async def _stages_from_rollups(conn: AsyncConnection, workspace_id: str, p: Period,
                               sc: Scope) -> tuple[Stages, Suppressed]:
    """The stages from funnel_days: a few rows per scenario, variant and day."""
    f = funnel_days.c
    first, last = _days(p)
    where = [f.workspace_id == workspace_id, f.day >= first, f.day <= last, f.n > 0]
    if sc.scenario:
        where.append(f.scenario_key == sc.scenario)
    if sc.department:
        keys = sorted(sc.department_scenarios)
        where.append(f.scenario_key.in_(keys) if keys else false())
    stages: Stages = {}
    suppressed: Suppressed = {}
    for r in await conn.execute(select(funnel_days).where(*where)):
        variant = r.variant or None
        counts = stages.setdefault((r.scenario_key, variant, r.day),
                                   dict.fromkeys(STAGES[:-1], 0))
        decided = r.kind == "decided"
        counts["eligible"] += r.n
        counts["decided"] += r.n if decided else 0
        counts["delivered"] += r.delivered
        counts["shown"] += r.shown
        counts["engaged"] += r.engaged
        counts["chats"] += r.chats if decided else 0
        counts["answered"] += r.answered if decided else 0
        if r.kind == "suppressed" and r.n:
            reasons = suppressed.setdefault((r.scenario_key, variant), {})
            reason = r.reason or "unknown"
            reasons[reason] = reasons.get(reason, 0) + r.n
    return stages, suppressed


async def _stages_from_decisions(conn: AsyncConnection, workspace_id: str, p: Period,
                                 sc: Scope) -> tuple[Stages, Suppressed]:
    """The stages counted from the decisions (a segment filter: the rollups do not know
    segments)."""
    d = decisions.c
    is_decided = d.outcome.in_(DECIDED)

    def count(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    day = day_number(d.created_at, conn.dialect.name)
    query = select(
        d.scenario_key, d.variant, day.label("day"), func.count().label("eligible"),
        count(is_decided).label("decided"), count(d.delivered_at.is_not(None)).label("delivered"),
        count(d.response.is_not(None)).label("shown"),
        count(d.response.in_(ENGAGED)).label("engaged"),
        count(and_(is_decided, d.chat_at.is_not(None))).label("chats"),
        count(and_(is_decided, d.answered_at.is_not(None))).label("answered"),
    ).where(*sc.decisions(workspace_id, p)).group_by(d.scenario_key, d.variant, day)
    held_back = select(d.scenario_key, d.variant, d.reason, func.count().label("n")).where(
        *sc.decisions(workspace_id, p), d.outcome == "suppressed").group_by(
        d.scenario_key, d.variant, d.reason)
    stages: Stages = {}
    for r in await conn.execute(query):
        stages[(r.scenario_key, r.variant, int(r.day))] = {
            stage: int(getattr(r, stage)) for stage in STAGES[:-1]}
    suppressed: Suppressed = {}
    for r in await conn.execute(held_back):
        reasons = suppressed.setdefault((r.scenario_key, r.variant), {})
        reasons[r.reason or "unknown"] = reasons.get(r.reason or "unknown", 0) + int(r.n)
    return stages, suppressed


def _conversions(workspace_id: str, p: Period, sc: Scope, dialect: str) -> Any:
    """Per scenario, variant, day and currency: decisions followed by a conversion of
    their goal within its window (``converted``, on the decision's day), and each
    conversion credited once per scenario and variant (``orders``, ``value``, on the day
    of the latest such decision before it).

    It starts from the conversions (far fewer than decisions) and finds each one's
    decisions by visitor and time; a row per such pair, ranked twice.
    """
    d, cv = decisions.c, conversions.c
    goals = [sc.goal, *sc.goals.values()]
    widest = max(g.window_hours for g in goals) * 3600.0
    pairs = select(
        d.scenario_key, d.variant, d.created_at, cv.currency, cv.value,
        func.row_number().over(partition_by=d.id, order_by=cv.id).label("first_of_decision"),
        func.row_number().over(partition_by=(cv.id, d.scenario_key, d.variant),
                               order_by=(d.created_at.desc(), d.id)).label("latest"),
    ).select_from(conversions.join(decisions, and_(
        d.visitor_id == cv.visitor_id, d.workspace_id == cv.workspace_id,
        d.created_at <= cv.ts, d.created_at > cv.ts - widest,
        sc.match(d.scenario_key, d.created_at)))).where(
        cv.workspace_id == workspace_id, cv.ts >= p.since, cv.ts < p.until + widest,
        cv.name.in_(sorted({g.event for g in goals})),
        *sc.decisions(workspace_id, p), d.outcome.in_(DECIDED)).subquery("pairs")
    x = pairs.c
    day = day_number(x.created_at, dialect)
    credited = x.latest == 1
    return select(
        x.scenario_key, x.variant, day.label("day"), x.currency,
        func.sum(case((x.first_of_decision == 1, 1), else_=0)).label("converted"),
        func.sum(case((credited, 1), else_=0)).label("orders"),
        func.sum(case((credited, x.value), else_=0.0)).label("value"),
    ).group_by(x.scenario_key, x.variant, day, x.currency)


CSV_COLUMNS = ("scenario", "variant", "day", *STAGES, "orders")


def funnel_csv(report: dict[str, Any]) -> str:
    """The funnel's rows per scenario, variant and day as CSV, a revenue column per
    currency (``revenue_EUR``)."""
    currencies = sorted({c for s in report["scenarios"] for d in s["days"] for c in d["revenue"]})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*CSV_COLUMNS, *(f"revenue_{c}" for c in currencies)])
    for s in report["scenarios"]:
        for d in s["days"]:
            writer.writerow([s["scenario"], s["variant"] or "", d["day"],
                             *(d[stage] for stage in STAGES), d["orders"],
                             *(f"{d['revenue'].get(c, 0.0):.2f}" for c in currencies)])
    return buf.getvalue()


def totals_table(report: dict[str, Any]) -> tuple[list[str], list[Sequence[str]]]:
    """The funnel's totals per scenario and variant, as text cells (the CLI's table)."""
    head = ["scenario", "variant", *STAGES, "rate", "revenue"]
    body: list[Sequence[str]] = []
    for s in report["scenarios"]:
        rate = s["conversion_rate"]
        body.append([s["scenario"], s["variant"] or "-", *(str(s[k]) for k in STAGES),
                     "-" if rate is None else f"{rate:.1%}",
                     ", ".join(f"{v:,.2f} {c}" for c, v in s["revenue"].items()) or "-"])
    return head, body


# -- lift: exposed visitors against the scenario's holdout group --------------------------

Z95 = 1.959964
MIN_GROUP = 30  # below this many visitors in either group, the report does not guess


@dataclass(frozen=True, slots=True)
class Group:
    """One group's visitors, converters and revenue (sum and sum of squares per visitor)."""

    visitors: int = 0
    converted: int = 0
    revenue: float = 0.0
    revenue_sq: float = 0.0

    @property
    def rate(self) -> float | None:
        """Conversion rate per visitor."""
        return self.converted / self.visitors if self.visitors else None

    @property
    def per_visitor(self) -> float | None:
        """Revenue per visitor."""
        return self.revenue / self.visitors if self.visitors else None

    def variance(self) -> float:
        """The sample variance of revenue per visitor."""
        n = self.visitors
        if n < 2:
            return 0.0
        mean = self.revenue / n
        return max(0.0, (self.revenue_sq - n * mean * mean) / (n - 1))

    def as_dict(self) -> dict[str, Any]:
        """JSON."""
        rate, per = self.rate, self.per_visitor
        return {"visitors": self.visitors, "converted": self.converted,
                "conversion_rate": None if rate is None else round(rate, 4),
                "revenue": round(self.revenue, 2),
                "revenue_per_visitor": None if per is None else round(per, 2)}


def compare(exposed: Group, held: Group) -> dict[str, Any]:
    """Lift of ``exposed`` over ``held``: differences with 95% intervals and a verdict.

    Conversion: the difference of two proportions (normal approximation); revenue per
    visitor: the difference of two means (Welch). ``verdict`` is ``too_small`` while a
    group has fewer than :data:`MIN_GROUP` visitors, ``better`` or ``worse`` when the
    conversion interval excludes zero, ``no_difference`` otherwise.
    """
    out: dict[str, Any] = {"exposed": exposed.as_dict(), "held_out": held.as_dict(),
                           "conversion_lift": None, "revenue_lift": None,
                           "verdict": "too_small"}
    if not exposed.visitors or not held.visitors:
        return out
    p1, p0 = exposed.converted / exposed.visitors, held.converted / held.visitors
    se = (p1 * (1 - p1) / exposed.visitors + p0 * (1 - p0) / held.visitors) ** 0.5
    diff = p1 - p0
    out["conversion_lift"] = {
        "difference": round(diff, 4), "low": round(diff - Z95 * se, 4),
        "high": round(diff + Z95 * se, 4),
        "relative": round(diff / p0, 4) if p0 else None}
    m1, m0 = exposed.revenue / exposed.visitors, held.revenue / held.visitors
    se_r = (exposed.variance() / exposed.visitors + held.variance() / held.visitors) ** 0.5
    out["revenue_lift"] = {"difference": round(m1 - m0, 2),
                           "low": round(m1 - m0 - Z95 * se_r, 2),
                           "high": round(m1 - m0 + Z95 * se_r, 2)}
    if min(exposed.visitors, held.visitors) < MIN_GROUP:
        out["verdict"] = "too_small"
    elif diff - Z95 * se > 0:
        out["verdict"] = "better"
    elif diff + Z95 * se < 0:
        out["verdict"] = "worse"
    else:
        out["verdict"] = "no_difference"
    return out


async def lift(conn: AsyncConnection, workspace_id: str, p: Period,
               sc: Scope = Scope()) -> dict[str, Any]:
    """Per scenario and variant with a holdout: exposed visitors against held-out ones.

    A visitor is exposed from their first decided message of the scenario variant in the
    period, held out from their first ``held_out`` decision; they convert when they buy
    within the window after that moment, and their revenue is what they spent in it.
    Revenue adds the amounts as sent, whatever their currency.

    Only scenarios that held someone out in the period are read (the daily rollup says
    which): a workspace's other scenarios cost nothing here.
    """
    await _tune(conn)
    f = funnel_days.c
    first, last = _days(p)
    tested = sorted((await conn.execute(select(f.scenario_key).where(
        f.workspace_id == workspace_id, f.day >= first, f.day <= last, f.kind == "held_out",
        f.n > 0).distinct())).scalars())
    d = decisions.c
    group = case((d.outcome == "held_out", "held_out"), else_="exposed").label("grp")
    firsts = select(
        d.visitor_id, d.scenario_key, d.variant, group, func.min(d.created_at).label("first_at"),
    ).where(*sc.decisions(workspace_id, p), d.outcome.in_((*DECIDED, "held_out")),
            d.scenario_key.in_(tested) if tested else false(),
            ).group_by(d.visitor_id, d.scenario_key, d.variant, group).subquery()
    in_window = and_(conversions.c.visitor_id == firsts.c.visitor_id,
                     conversions.c.workspace_id == workspace_id,
                     sc.match(firsts.c.scenario_key, firsts.c.first_at))
    # One row per visitor and group: the orders in their window (a LEFT JOIN, so the
    # revenue is summed once, not by a subquery per figure).
    per_visitor = select(
        firsts.c.scenario_key, firsts.c.variant, firsts.c.grp,
        case((func.count(conversions.c.id) > 0, 1), else_=0).label("conv"),
        func.coalesce(func.sum(conversions.c.value), 0.0).label("spent"),
    ).select_from(firsts.outerjoin(conversions, in_window)).group_by(
        firsts.c.visitor_id, firsts.c.scenario_key, firsts.c.variant, firsts.c.grp).subquery()
    pv = per_visitor.c
    totals = select(pv.scenario_key, pv.variant, pv.grp, func.count().label("n"),
                    func.sum(pv.conv).label("converted"), func.sum(pv.spent).label("revenue"),
                    func.sum(pv.spent * pv.spent).label("revenue_sq"),
                    ).group_by(pv.scenario_key, pv.variant, pv.grp)
    groups: dict[tuple[str, str | None], dict[str, Group]] = {}
    for r in await conn.execute(totals):
        groups.setdefault((r.scenario_key, r.variant), {})[r.grp] = Group(
            int(r.n), int(r.converted or 0), float(r.revenue or 0.0),
            float(r.revenue_sq or 0.0))
    out = []
    for (key, variant), found in sorted(groups.items(),
                                        key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if "held_out" not in found:
            continue  # no holdout: nothing to compare with
        out.append({"scenario": key, "variant": variant, "goal": sc.goal_of(key).as_dict(),
                    **compare(found.get("exposed", Group()), found["held_out"])})
    return {"since": p.first.isoformat(), "until": p.last.isoformat(),
            "window_hours": p.window_hours, **sc.echo(), "min_group": MIN_GROUP,
            "scenarios": out}


# -- sales and support per agent and department -------------------------------------------

CREDITS = ("last", "first", "linear")
PERCENTILES = (("p50", 0.5), ("p90", 0.9))


def _percentiles(values: Any, key: Any, dialect: str = "sqlite") -> Any:
    """Nearest-rank p50 and p90 of ``values.c.value`` per ``key``: PostgreSQL's
    ``percentile_disc``, elsewhere the same rank from window functions."""
    if dialect == "postgresql":
        return select(key.label("k"), *(
            func.percentile_disc(share).within_group(values.c.value).label(name)
            for name, share in PERCENTILES), func.count().label("n")).where(
            values.c.value.is_not(None)).group_by(key)
    ranked = select(key.label("k"), values.c.value.label("value"),
                    func.row_number().over(partition_by=key, order_by=values.c.value).label("rn"),
                    func.count().over(partition_by=key).label("n"),
                    ).where(values.c.value.is_not(None)).subquery()
    return select(ranked.c.k, *(
        func.min(case((ranked.c.rn >= ranked.c.n * share, ranked.c.value))).label(name)
        for name, share in PERCENTILES), func.count().label("n")).group_by(ranked.c.k)


async def agents(conn: AsyncConnection, workspace_id: str, p: Period,
                 credit: str = "last", sc: Scope = Scope()) -> dict[str, Any]:
    """What each agent's and department's chats did: chats, conversions and revenue
    credited by ``credit`` (``last`` agent who answered, ``first``, or ``linear`` shares),
    after-sales chats, first response and resolution times (p50, p90) and ratings.

    A chat counts when it started in the period and the visitor wrote at least once
    (any chat with the workspace's ``count_chats_without_visitor_message``); its
    orders are the visitor's purchases from its start until ``window`` after it ended
    (closed, else its last activity). After-sales: the visitor had bought before it began.
    Orders are the scope's workspace goal; its segment and department filters apply to
    the chats (the visitor's segments when the chat was routed).

    ``basket``: the average order of chatters against comparable buyers who did not chat
    (no conversation in the window before the order), standardised to the chatters'
    orders by day, segments and currency (see :func:`_baskets`).

    Two statements: the chats' figures are one (the period's chats and the goal's orders
    around them are read once, as common table expressions, and each table of the report
    is a branch of one UNION ALL); the comparable buyers are the other.
    """
    await _tune(conn)
    if conn.dialect.name == "postgresql":
        # Its common table expressions have no statistics: the planner takes the chats
        # with orders for a few dozen rows and probes an index per row; hashing is faster.
        await conn.execute(text("SET LOCAL enable_nestloop = off"))
    dialect = conn.dialect.name
    c, cv, a = conversations.c, conversions.c, conversation_agents.c
    goal = sc.goal
    # The chat's facts are kept on it as messages come (chat/service.py): who answered
    # first and last, when, how many agents; no report reads the messages.
    where = [c.workspace_id == workspace_id, c.started_at >= p.since, c.started_at < p.until]
    if not sc.silent_chats:
        where.append(c.visitor_wrote_at.is_not(None))
    if sc.segment:
        where.append(c.segments.contains(f",{sc.segment},", autoescape=True))
    if sc.department:
        where.append(c.department == sc.department if sc.department != "default"
                     else or_(c.department.is_(None), c.department == "default"))
    chats = select(
        c.id, c.visitor_id, func.coalesce(c.department, "default").label("department"),
        c.started_at, c.closed_at, c.rating,
        func.coalesce(c.closed_at, c.updated_at).label("ended_at"), c.first_agent_id,
        c.last_agent_id, c.agent_count, c.first_reply_at,
    ).where(*where).subquery("chats")
    # The goal's events of each chat's visitor until the window after it ended (read
    # once: the one expensive join): those from its start are its orders; one before it
    # makes it after-sales.
    in_window = [cv.ts >= chats.c.started_at]
    if goal.min_value is not None:
        in_window.append(cv.value >= goal.min_value)
    touch = select(
        chats.c.id, chats.c.department, chats.c.first_agent_id, chats.c.last_agent_id,
        chats.c.agent_count, cv.currency, day_number(cv.ts, dialect).label("day"),
        cv.segments, cv.value, case((and_(*in_window), 1), else_=0).label("in_window"),
        case((cv.ts < chats.c.started_at, 1), else_=0).label("earlier"),
    ).select_from(chats.join(conversions, and_(
        cv.visitor_id == chats.c.visitor_id, cv.workspace_id == workspace_id,
        cv.name == goal.event,
        cv.ts < chats.c.ended_at + goal.window_hours * 3600.0))).cte("touch")
    t = touch.c
    # Per chat with any such event: sold (an order in its window), after-sales (one
    # before), and what crediting it needs.
    carried = (t.id, t.department, t.first_agent_id, t.last_agent_id, t.agent_count)
    flags = select(
        *carried, func.max(t.in_window).label("sold"), func.max(t.earlier).label("before"),
    ).group_by(*carried).having(or_(func.max(t.in_window) == 1, func.max(t.earlier) == 1)
                                ).cte("flags")
    g, h = flags.c, chats.c

    def weight_of(cols: Any) -> Any:
        """An agent's share of a chat as ``credit`` says."""
        if credit == "first":
            return case((a.agent_id == cols.first_agent_id, 1.0), else_=0.0)
        if credit == "linear":
            return 1.0 / cols.agent_count
        return case((a.agent_id == cols.last_agent_id, 1.0), else_=0.0)

    rating = case((a.agent_id == h.last_agent_id, h.rating))
    none_text, none_int = sa_cast(None, String), sa_cast(None, Integer)

    def branch(kind: str, key: Any, *figures: Any, stratum: Sequence[Any] = ()) -> Any:
        values = list(figures) + [sa_cast(None, Float)] * (4 - len(figures))
        return select(literal(kind).label("kind"), sa_cast(key, String).label("k"),
                      *(v.label(n) for v, n in zip(stratum or (none_text, none_int, none_text),
                                                   ("currency", "day", "segments"),
                                                   strict=True)),
                      *(sa_cast(v, Float).label(f"v{i}") for i, v in enumerate(values)))

    stratum = (t.currency, t.day, t.segments)
    orders = t.in_window == 1
    parts = [
        # agents: chats, credited chats, rating, rated; then converted and after-sales
        branch("agent", a.agent_id, func.count(), func.sum(weight_of(h)), func.avg(rating),
               func.count(rating)).select_from(conversation_agents.join(
                   chats, a.conversation_id == h.id)).group_by(a.agent_id),
        branch("agent_sold", a.agent_id, func.sum(weight_of(g) * g.sold),
               func.sum(g.before)).select_from(conversation_agents.join(
                   flags, a.conversation_id == g.id)).group_by(a.agent_id),
        # departments: whole chats
        branch("department", h.department, func.count(), func.sum(h.rating),
               func.count(h.rating)).group_by(h.department),
        branch("department_sold", g.department, func.sum(g.sold), func.sum(g.before),
               ).group_by(g.department),
        # orders by stratum (currency, day, segments): the revenue and the baskets
        branch("agent_orders", a.agent_id, func.sum(weight_of(t)),
               func.sum(weight_of(t) * t.value), stratum=stratum).select_from(
            touch.join(conversation_agents, a.conversation_id == t.id)).where(orders).group_by(
            a.agent_id, *stratum),
        branch("department_orders", t.department, func.count(), func.sum(t.value),
               stratum=stratum).where(orders).group_by(t.department, *stratum),
    ]
    # Support figures: the first responder's wait, the last agent's resolution.
    for kind, key, start, end in (("first_response", h.first_agent_id, h.started_at,
                                   h.first_reply_at),
                                  ("resolution", h.last_agent_id, h.started_at, h.closed_at)):
        values = select(key.label("k"), (end - start).label("value")).where(
            key.is_not(None)).subquery()
        found = _percentiles(values, values.c.k, dialect).subquery()
        parts.append(branch(kind, found.c.k, found.c.p50, found.c.p90))
    rows = (await conn.execute(union_all(*parts))).all()

    people: dict[str, dict[str, Any]] = {}
    departments: dict[str, dict[str, Any]] = {}
    by_agent: list[tuple[Any, ...]] = []
    by_dept: list[tuple[Any, ...]] = []
    sold_in: dict[str, tuple[int, int]] = {}

    def person(agent_id: str) -> dict[str, Any]:
        return people.setdefault(agent_id, {
            "agent_id": agent_id, "chats": 0, "credited_chats": 0.0, "converted": 0.0,
            "conversion_rate": None, "revenue": {}, "after_sales": 0,
            "first_response_seconds": {"p50": None, "p90": None},
            "resolution_seconds": {"p50": None, "p90": None},
            "rating": {"average": None, "count": 0}})

    def seconds(value: Any) -> float | None:
        return None if value is None else round(float(value), 1)

    def add(revenue: dict[str, float], currency: str | None, value: float) -> None:
        if value:
            name = currency or "unknown"
            revenue[name] = round(revenue.get(name, 0.0) + value, 2)

    for r in rows:  # one row per agent, department or stratum: a few thousand at most
        if r.kind == "agent":
            doc = person(r.k)
            doc["chats"], doc["credited_chats"] = int(r.v0), round(float(r.v1 or 0), 2)
            if r.v3:
                doc["rating"] = {"average": round(float(r.v2), 2), "count": int(r.v3)}
        elif r.kind == "agent_sold":
            doc = person(r.k)
            doc["converted"], doc["after_sales"] = round(float(r.v0 or 0), 2), int(r.v1 or 0)
        elif r.kind == "department":
            rated = int(r.v2 or 0)
            departments[r.k] = {
                "department": r.k, "chats": int(r.v0), "converted": 0, "after_sales": 0,
                "revenue": {}, "rating": round(float(r.v1) / rated, 2) if rated else None}
        elif r.kind == "department_sold":
            sold_in[r.k] = (int(r.v0 or 0), int(r.v1 or 0))
        elif r.kind == "agent_orders":
            add(person(r.k)["revenue"], r.currency, float(r.v1 or 0))
            by_agent.append((r.k, r.currency, r.day, r.segments, r.v0, r.v1))
        elif r.kind == "department_orders":
            by_dept.append((r.k, r.currency, r.day, r.segments, r.v0, r.v1))
        else:
            person(r.k)[f"{r.kind}_seconds"] = {"p50": seconds(r.v0), "p90": seconds(r.v1)}
    for doc in people.values():
        credited = doc["credited_chats"]
        doc["conversion_rate"] = round(doc["converted"] / credited, 4) if credited else None
    for k, doc in departments.items():
        doc["converted"], doc["after_sales"] = sold_in.get(k, (0, 0))
        doc["conversion_rate"] = _rate(doc["converted"], doc["chats"])
    for k, currency, _day, _segments, _n, total in by_dept:
        if k in departments:
            add(departments[k]["revenue"], currency, float(total or 0))

    # Comparable buyers: orders of the goal in the period (and its window) by people with
    # no conversation whose window covers the order.
    order_day = day_number(cv.ts, dialect)
    other = conversations.alias("any_chat")
    chatted = select(other.c.id).where(
        other.c.visitor_id == cv.visitor_id, other.c.workspace_id == workspace_id,
        other.c.started_at <= cv.ts,
        other.c.started_at < p.until + goal.window_hours * 3600.0,  # (bounds the scan)
        cv.ts < func.coalesce(other.c.closed_at, other.c.updated_at)
        + goal.window_hours * 3600.0).exists()
    plain_where = [cv.workspace_id == workspace_id, cv.name == goal.event,
                   cv.ts >= p.since, cv.ts < p.until + goal.window_hours * 3600.0, ~chatted]
    if goal.min_value is not None:
        plain_where.append(cv.value >= goal.min_value)
    plain = select(cv.currency, order_day.label("day"), cv.segments, func.count().label("n"),
                   func.sum(cv.value).label("total")).where(*plain_where).group_by(
        cv.currency, order_day, cv.segments)
    reference = {(r.currency, int(r.day), r.segments): (int(r.n), float(r.total or 0.0))
                 for r in await conn.execute(plain)}
    # Baskets: agents' orders weighted as the credit says; departments' and the total's
    # whole (every chat is in one department, so the total is their sum).
    for source, docs in ((by_agent, people), (by_dept, departments)):
        for k, basket in _baskets(source, reference).items():
            if k in docs:
                docs[k]["basket"] = basket
    for docs in (people, departments):
        for doc in docs.values():
            doc.setdefault("basket", {})
    overall = _baskets(((None, *r[1:]) for r in by_dept), reference)
    return {"since": p.first.isoformat(), "until": p.last.isoformat(),
            "window_hours": p.window_hours, **sc.echo(), "credit": credit,
            "chats_without_visitor_message": sc.silent_chats,
            "basket": overall.get(None, {}),
            "agents": sorted(people.values(), key=lambda a: (-a["chats"], a["agent_id"])),
            "departments": sorted(departments.values(), key=lambda d: d["department"])}


def _baskets(rows: Any, reference: dict[tuple[Any, int, Any], tuple[int, float]],
             ) -> dict[Any, dict[str, dict[str, float]]]:
    """Average order of chatters against comparable buyers, per key and currency.

    ``rows`` are (key, currency, day, segments, orders, total) of chatters' orders;
    ``reference`` the same strata's (orders, total) of buyers who did not chat. Each
    stratum both have weighs the non-chatters' average by the chatters' orders in it
    (direct standardisation), so a difference is not one of days or segments. Strata
    without non-chatting buyers are left out of both figures; ``orders`` says how many
    chatters' orders were compared.
    """
    sums: dict[Any, dict[str, list[float]]] = {}
    for key, currency, day, segments, n, total in rows:
        ref = reference.get((currency, int(day), segments))
        if ref is None or not n:
            continue
        acc = sums.setdefault(key, {}).setdefault(currency or "unknown", [0.0, 0.0, 0.0])
        acc[0] += float(n)
        acc[1] += float(total or 0.0)
        acc[2] += float(n) * ref[1] / ref[0]
    return {key: {currency: {"orders": round(n, 2), "chatters": round(total / n, 2),
                             "comparable": round(comparable / n, 2),
                             "difference": round((total - comparable) / n, 2)}
                  for currency, (n, total, comparable) in sorted(per.items())}
            for key, per in sums.items()}


def agents_csv(report: dict[str, Any]) -> str:
    """The agents' table as CSV: a revenue column per currency (``revenue_EUR``), and the
    average basket of their chatters and of comparable buyers (``basket_EUR``,
    ``comparable_basket_EUR``)."""
    currencies = sorted({c for a in report["agents"] for c in a["revenue"]})
    baskets = sorted({c for a in report["agents"] for c in a.get("basket", {})})
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["agent_id", "name", "chats", "credited_chats", "converted",
                     "conversion_rate", "after_sales", "first_response_p50",
                     "first_response_p90", "resolution_p50", "resolution_p90",
                     "rating_average", "rating_count", *(f"revenue_{c}" for c in currencies),
                     *(f"{kind}_{c}" for c in baskets for kind in ("basket", "comparable_basket"))])

    def cell(value: Any) -> str:
        return "" if value is None else str(value)

    for a in report["agents"]:
        fr, rs = a["first_response_seconds"], a["resolution_seconds"]
        basket = a.get("basket", {})
        writer.writerow([a["agent_id"], cell(a.get("name")), a["chats"], a["credited_chats"],
                         a["converted"], cell(a["conversion_rate"]), a["after_sales"],
                         cell(fr["p50"]), cell(fr["p90"]), cell(rs["p50"]), cell(rs["p90"]),
                         cell(a["rating"]["average"]), a["rating"]["count"],
                         *(f"{a['revenue'].get(c, 0.0):.2f}" for c in currencies),
                         *(cell(basket[c][kind]) if c in basket else ""
                           for c in baskets for kind in ("chatters", "comparable"))])
    return buf.getvalue()
