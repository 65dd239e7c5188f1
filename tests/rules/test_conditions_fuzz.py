"""Random trees either fail validation cleanly or compile and evaluate without raising."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from floorwalker.rules.conditions import ConditionError, compile_condition, validate
from floorwalker.rules.conditions.operands import KNOWN
from tests.rules.build import DAY, NOW, cart, ctx, event, profile, session

PATHS = st.sampled_from([*KNOWN, "event.x", "event.properties.a.b", "visitor.attributes.plan",
                         "lookup.products[event.item_id].margin", "lookup.products[x].y",
                         "context.agents_free.sales", "context.business_hours.sales",
                         "visitor.nope", "event.", "lookup.", "", "geo"])
OPS = st.sampled_from(["eq", "ne", "lt", "lte", "gt", "gte", "between", "in", "not_in",
                       "contains", "not_contains", "starts_with", "ends_with", "matches",
                       "exists", "missing", "bogus"])
SCALARS = (st.none() | st.booleans() | st.integers(-10**6, 10**6)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=12)
           | st.sampled_from(["search", "(a+)+$", "[", "10m", "0", "vip", "sun"]))
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
DURATIONS = st.sampled_from(["10m", "30d", 60, "0s", "x", -1, None, "1w"])
NAMES = st.sampled_from(["search", "add_to_cart", "purchase", ""]) | st.lists(
    st.sampled_from(["search", "view_item", "add_to_cart", 3]), max_size=3)

LEAVES = st.one_of(
    st.fixed_dictionaries({"path": PATHS, "op": OPS},
                          optional={"value": JSON, "case_insensitive": JSON}),
    st.fixed_dictionaries({"count": st.fixed_dictionaries(
        {"within": DURATIONS}, optional={"events": NAMES, "visits": JSON}),
        "op": OPS, "value": JSON}),
    st.fixed_dictionaries({"sequence": st.fixed_dictionaries(
        {"steps": NAMES, "within": DURATIONS})}),
    st.fixed_dictionaries({"absence": st.fixed_dictionaries(
        {"after": NAMES, "missing": NAMES, "for": DURATIONS})}),
    JSON,
)
TREES = st.recursive(LEAVES, lambda inner: st.one_of(
    st.fixed_dictionaries({"all": st.lists(inner, max_size=4)}),
    st.fixed_dictionaries({"any": st.lists(inner, max_size=4)}),
    st.fixed_dictionaries({"not": inner}),
    st.dictionaries(st.sampled_from(["all", "any", "not", "path", "op"]), inner, max_size=2),
), max_leaves=12)

RICH = profile(session=session(pages_viewed=3), cart=cart(("SKU1", 600.0, 1)),
               geo={"time_zone": "Europe/Paris", "country": "FR"}, purchase_count=1,
               recent=[("view_item", NOW - 60), ("add_to_cart", NOW - 30), ("search", NOW)],
               visit_starts=[NOW - 3 * DAY, NOW - 60], segments={"vip": NOW},
               attributes={"plan": ["pro"]})
CONTEXTS = [
    ctx(),
    ctx(RICH, event("search", item_id="SKU1", x=[1, "a", None], a={"b": "12"}),
        lookups={"products": {"SKU1": {"margin": "0.3"}}}),
    ctx(RICH, event("view_item", x="aaaa", items="not a list"), now=NOW + 10 * DAY),
]


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TREES)
def test_random_trees_validate_or_evaluate(tree: Any) -> None:
    problems = validate(tree)
    if problems:
        assert all(p.path.startswith("$") and p.problem for p in problems)
        with pytest.raises(ConditionError) as caught:
            compile_condition(tree)
        assert caught.value.problems == problems
        return
    compiled = compile_condition(tree)
    for context in CONTEXTS:
        assert compiled(context) in (True, False)


@settings(max_examples=400, deadline=None)
@given(OPS, JSON, JSON, st.booleans())
def test_any_operator_on_any_property_value_never_raises(op: str, value: Any, actual: Any,
                                                         ci: bool) -> None:
    tree: dict[str, Any] = {"path": "event.x", "op": op, "value": value}
    if ci:
        tree["case_insensitive"] = True
    if validate(tree):
        return
    result = compile_condition(tree)(ctx(RICH, event("e", x=actual)))
    assert result in (True, False)
    if op == "missing":
        assert result is (actual is None)
