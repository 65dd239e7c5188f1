"""Every operator on event properties: matches, near misses, wrong types, missing values."""

from __future__ import annotations

from typing import Any

import pytest

from floorwalker.rules.conditions import compile_condition
from tests.rules.build import ctx, event, holds, leaf


def on(op: str, value: Any, actual: Any, **extra: Any) -> bool:
    """``event.x op value`` where the event's property x is ``actual``."""
    return holds(leaf("event.x", op, value, **extra), ctx(ev=event("e", x=actual)))


@pytest.mark.parametrize(("op", "value", "actual", "expected"), [
    ("eq", "search", "search", True),
    ("eq", "search", "Search", False),
    ("eq", 10, 10, True),
    ("eq", 10, 10.0, True),
    ("eq", 10, "10", True),           # numeric strings compare as numbers
    ("eq", "10", 10, False),          # a string constant compares strings only
    ("eq", True, True, True),
    ("eq", True, 1, False),
    ("eq", 1, True, False),           # booleans are not numbers
    ("ne", "a", "b", True),
    ("ne", "a", "a", False),
    ("ne", "a", 5, False),            # not comparable: false, not "different"
    ("ne", 3, "3.0", False),
    ("ne", 3, "4", True),
    ("ne", False, True, True),
    ("lt", 10, 9, True),
    ("lt", 10, 10, False),
    ("lt", 10, "9.5", True),
    ("lt", 10, "nine", False),
    ("lt", 10, None, False),
    ("lt", 10, [1], False),
    ("lte", 10, 10, True),
    ("lte", 10, 10.01, False),
    ("gt", 500, 501, True),
    ("gt", 500, 500, False),
    ("gte", 500, 500, True),
    ("gte", 500, " 500 ", True),
    ("gt", "2024-01-01", "2024-06-01", True),  # strings compare as strings (ISO dates)
    ("gt", "2024-01-01", 2025, False),
    ("between", [1, 3], 1, True),
    ("between", [1, 3], 3, True),
    ("between", [1, 3], 3.5, False),
    ("between", [1, 3], "2", True),
    ("between", ["a", "c"], "b", True),
    ("between", ["a", "c"], 2, False),
    ("in", ["a", "b"], "b", True),
    ("in", ["a", "b"], "c", False),
    ("in", [1, 2], "2", True),
    ("in", [1, 2], 2.0, True),
    ("in", ["1", "2"], 2, False),
    ("in", [True], True, True),
    ("in", [1], True, False),
    ("in", ["a", "b"], ["x", "b"], True),     # a list value: any element in the list
    ("in", ["a", "b"], ["x", "y"], False),
    ("in", ["a"], {"a": 1}, False),
    ("not_in", ["a", "b"], "c", True),
    ("not_in", ["a", "b"], "a", False),
    ("not_in", ["a", "b"], ["x", "y"], True),
    ("not_in", ["a", "b"], ["x", "a"], False),
    ("not_in", ["a"], {"a": 1}, False),
    ("contains", "shoe", "red shoes", True),
    ("contains", "shoe", "red boots", False),
    ("contains", "vip", ["new", "vip"], True),
    ("contains", 3, [1, 2, 3], True),
    ("contains", 3, ["3"], True),      # numeric strings count as numbers here too
    ("contains", 3, ["x"], False),
    ("contains", 3, "123", False),
    ("contains", "x", 12, False),
    ("not_contains", "shoe", "red boots", True),
    ("not_contains", "shoe", "red shoes", False),
    ("not_contains", "vip", ["new"], True),
    ("not_contains", "vip", 12, False),
    ("starts_with", "/checkout", "/checkout/pay", True),
    ("starts_with", "/checkout", "/cart", False),
    ("starts_with", "/checkout", 5, False),
    ("ends_with", ".pdf", "/doc.pdf", True),
    ("ends_with", ".pdf", "/doc.PDF", False),
    ("ends_with", ".pdf", None, False),
    ("matches", r"^SUMMER\d+$", "SUMMER20", True),
    ("matches", r"^SUMMER\d+$", "summer20", False),
    ("matches", "ship", "free shipping", True),   # search anywhere unless anchored
    ("matches", "1", 1, False),
])
def test_operator(op: str, value: Any, actual: Any, expected: bool) -> None:
    assert on(op, value, actual) is expected


@pytest.mark.parametrize(("op", "value", "actual"), [
    ("eq", "search", "SEARCH"),
    ("ne", "search", "other"),
    ("in", ["FAQ", "Help"], "faq"),
    ("not_in", ["FAQ"], "help"),
    ("contains", "SHOE", "Red Shoes"),
    ("not_contains", "BOOT", "Red Shoes"),
    ("starts_with", "/CHECKOUT", "/checkout/pay"),
    ("ends_with", ".PDF", "/doc.pdf"),
    ("matches", "^summer", "SUMMER20"),
    ("contains", "VIP", ["vip"]),
])
def test_case_insensitive(op: str, value: Any, actual: Any) -> None:
    assert on(op, value, actual, case_insensitive=True)
    negative = {"ne": True, "not_in": True, "not_contains": True}.get(op, False)
    assert on(op, value, actual) is negative


@pytest.mark.parametrize(("op", "value"), [
    ("eq", "a"), ("ne", "a"), ("lt", 1), ("lte", 1), ("gt", 1), ("gte", 1), ("between", [1, 2]),
    ("in", ["a"]), ("not_in", ["a"]), ("contains", "a"), ("not_contains", "a"),
    ("starts_with", "a"), ("ends_with", "a"), ("matches", "a"), ("exists", None),
])
def test_every_operator_is_false_on_a_missing_property(op: str, value: Any) -> None:
    tree = leaf("event.absent", op, value)
    assert holds(tree, ctx(ev=event("e", other=1))) is False
    assert holds(tree, ctx()) is False  # no event at all (a timer evaluation)


def test_missing_is_true_for_absent_null_and_no_event() -> None:
    tree = leaf("event.coupon", "missing")
    assert holds(tree, ctx(ev=event("e")))
    assert holds(tree, ctx(ev=event("e", coupon=None)))
    assert holds(tree, ctx())
    assert not holds(tree, ctx(ev=event("e", coupon="SUMMER")))


def test_exists_counts_empty_values_as_present() -> None:
    tree = leaf("event.coupon", "exists")
    assert holds(tree, ctx(ev=event("e", coupon="")))
    assert holds(tree, ctx(ev=event("e", coupon=0)))
    assert not holds(tree, ctx(ev=event("e", coupon=None)))


def test_nested_properties_and_list_indexes() -> None:
    ev = event("purchase", shipping={"method": "express"}, items=[{"item_id": "A"}])
    assert holds(leaf("event.properties.shipping.method", "eq", "express"), ctx(ev=ev))
    assert holds(leaf("event.shipping.method", "eq", "express"), ctx(ev=ev))
    assert holds(leaf("event.properties.items.0.item_id", "eq", "A"), ctx(ev=ev))
    assert not holds(leaf("event.properties.items.1.item_id", "exists"), ctx(ev=ev))
    assert not holds(leaf("event.shipping.method.x", "exists"), ctx(ev=ev))


def test_boolean_logic_and_empty_groups() -> None:
    yes, no = leaf("event.name", "eq", "e"), leaf("event.name", "eq", "other")
    context = ctx(ev=event("e"))
    assert holds({"all": []}, context)
    assert not holds({"any": []}, context)
    assert holds({"all": [yes, yes, yes, yes]}, context)
    assert not holds({"all": [yes, yes, yes, no]}, context)
    assert holds({"any": [no, no, no, yes]}, context)
    assert holds({"not": no}, context)
    assert holds({"not": {"not": yes}}, context)
    assert compile_condition(None)(context)
    assert compile_condition({})(context)


def test_catastrophic_backtracking_pattern_returns() -> None:
    # Exponential for a backtracking engine; RE2 answers in linear time.
    tree = leaf("event.q", "matches", "(a+)+$")
    assert holds(tree, ctx(ev=event("search", q="a" * 5000 + "b"))) is False
    assert holds(tree, ctx(ev=event("search", q="b" + "a" * 5000))) is True


def test_compiled_knows_its_source_and_that_it_reads_no_clock() -> None:
    tree = leaf("event.name", "eq", "search")
    compiled = compile_condition(tree)
    assert compiled.source == tree
    assert compiled.uses_time is False
    assert compiled.tables == frozenset()
    assert compiled.evaluate(ctx(ev=event("search"))) is True
