"""Counts over time windows, visits in 30 days, sequences and absences."""

from __future__ import annotations

from floorwalker.rules.conditions import compile_condition
from tests.rules.build import DAY, MIN, NOW, ctx, event, holds, profile

SEARCHES = profile(recent=[("search", NOW - 11 * MIN), ("search", NOW - 9 * MIN),
                           ("page_view", NOW - 8 * MIN), ("view_search_results", NOW - 5 * MIN),
                           ("search", NOW)])


def searches(op: str, value: int, events: str | list[str] = "search",
             within: str = "10m") -> dict[str, object]:
    return {"count": {"events": events, "within": within}, "op": op, "value": value}


def test_count_includes_the_current_event_and_excludes_older_ones() -> None:
    c = ctx(SEARCHES, event("search"))
    assert holds(searches("eq", 2), c)
    assert holds(searches("gte", 2), c)
    assert not holds(searches("gte", 3), c)
    assert holds(searches("gte", 3, within="12m"), c)
    assert holds(searches("eq", 3, ["search", "view_search_results"]), c)
    assert compile_condition(searches("gte", 3)).uses_time


def test_window_boundary_is_exclusive() -> None:
    c = ctx(profile(recent=[("search", NOW - 600), ("search", NOW - 599)]))
    assert holds(searches("eq", 1), c)  # exactly 10 minutes ago is outside "10m"


def test_count_moves_with_now() -> None:
    assert holds(searches("eq", 1), ctx(SEARCHES, now=NOW + 6 * MIN))
    assert holds(searches("eq", 0), ctx(profile(), now=NOW))


def test_visits_in_30_days() -> None:
    tree = {"count": {"visits": True, "within": "30d"}, "op": "gte", "value": 2}
    returning = profile(visit_starts=[NOW - 45 * DAY, NOW - 20 * DAY, NOW - MIN])
    once = profile(visit_starts=[NOW - 45 * DAY, NOW - MIN])
    assert holds(tree, ctx(returning))
    assert not holds(tree, ctx(once))
    assert not holds(tree, ctx(returning, now=NOW + 21 * DAY))


FUNNEL = profile(recent=[("view_item", NOW - 20 * MIN), ("page_view", NOW - 8 * MIN),
                         ("view_item", NOW - 7 * MIN), ("search", NOW - 6 * MIN),
                         ("add_to_cart", NOW - 2 * MIN)])


def test_sequence_in_order_with_gaps() -> None:
    seq = {"sequence": {"steps": ["view_item", "add_to_cart"], "within": "10m"}}
    assert holds(seq, ctx(FUNNEL))
    assert compile_condition(seq).uses_time
    assert not holds({"sequence": {"steps": ["add_to_cart", "view_item"], "within": "30m"}},
                     ctx(FUNNEL))
    assert not holds({"sequence": {"steps": ["view_item", "add_to_cart"], "within": "5m"}},
                     ctx(FUNNEL))
    assert holds({"sequence": {"steps": ["view_item", "view_item", "add_to_cart"],
                               "within": "30m"}}, ctx(FUNNEL))
    assert not holds({"sequence": {"steps": ["view_item", "view_item", "add_to_cart"],
                                   "within": "10m"}}, ctx(FUNNEL))
    assert not holds({"sequence": {"steps": ["view_item", "purchase"], "within": "1h"}},
                     ctx(FUNNEL))


ABANDONED = {"absence": {"after": "add_to_cart", "missing": ["purchase", "begin_checkout"],
                         "for": "30m"}}


def test_absence_fires_when_the_wait_is_over() -> None:
    added = profile(recent=[("add_to_cart", NOW - 30 * MIN), ("page_view", NOW - 20 * MIN)])
    assert holds(ABANDONED, ctx(added))
    assert not holds(ABANDONED, ctx(added, now=NOW - 1))  # 29:59 after: not yet
    assert compile_condition(ABANDONED).uses_time


def test_absence_is_false_after_a_purchase_or_without_the_event() -> None:
    bought = profile(recent=[("add_to_cart", NOW - 40 * MIN), ("purchase", NOW - 35 * MIN)])
    assert not holds(ABANDONED, ctx(bought))
    assert not holds(ABANDONED, ctx(profile(recent=[("page_view", NOW - 40 * MIN)])))
    checkout = profile(recent=[("add_to_cart", NOW - 40 * MIN), ("begin_checkout", NOW - MIN)])
    assert not holds(ABANDONED, ctx(checkout))


def test_absence_measures_from_the_last_add_to_cart() -> None:
    # A purchase, then a new add_to_cart: the clock restarts from the newest one.
    again = profile(recent=[("add_to_cart", NOW - 90 * MIN), ("purchase", NOW - 80 * MIN),
                            ("add_to_cart", NOW - 10 * MIN)])
    assert not holds(ABANDONED, ctx(again))
    assert holds(ABANDONED, ctx(again, now=NOW + 20 * MIN))
    single = {"absence": {"after": "add_to_cart", "missing": "purchase", "for": 1800}}
    assert holds(single, ctx(again, now=NOW + 20 * MIN))
