"""Saving a condition: every problem is reported, at its place in the tree, in words."""

from __future__ import annotations

from typing import Any

import pytest

from floorwalker.rules.conditions import (
    ConditionError,
    Problem,
    compile_condition,
    parse_duration,
    validate,
)
from tests.rules.build import leaf


def problems(tree: Any) -> dict[str, str]:
    """Problems as {path: sentence}."""
    return {p.path: p.problem for p in validate(tree)}


def test_valid_trees_have_no_problems() -> None:
    assert validate(None) == []
    assert validate({}) == []
    assert validate({"all": [leaf("event.name", "eq", "search"),
                             {"not": leaf("visitor.customer", "eq", True)}]}) == []


def test_unknown_attribute_suggests_the_close_one() -> None:
    found = problems({"all": [leaf("event.name", "eq", "x"), leaf("visitor.visit_cont", "gt", 1)]})
    assert found == {"$.all[1].path": "unknown attribute 'visitor.visit_cont'"
                                      " — did you mean 'visitor.visit_count'?"}


def test_a_group_lists_what_it_holds() -> None:
    text = problems(leaf("visitor.cart", "gt", 1))["$.path"]
    assert "visitor.cart.value" in text
    assert "unknown attribute 'visitor.cartt'" in problems(leaf("visitor.cartt", "gt", 1))["$.path"]


def test_unknown_root_lists_the_roots() -> None:
    text = problems(leaf("customer.type", "eq", "x"))["$.path"]
    assert "unknown attribute 'customer.type'" in text
    assert "event." in text and "visitor." in text


@pytest.mark.parametrize("path", ["geo.planet", "device.cpu", "session.utm.gclid",
                                  "context.agents_free", "event.page.color", "event.properties",
                                  "event.", "visitor.attributes", ""])
def test_bad_paths_are_problems(path: str) -> None:
    assert "$.path" in problems(leaf(path, "exists"))


def test_wrong_operator_for_the_attribute_type() -> None:
    found = problems(leaf("visitor.customer", "gt", 1))
    assert "visitor.customer is a boolean" in found["$.op"]
    assert "'gt' does not apply" in found["$.op"]
    assert "compare it with a boolean" in found["$.value"]
    assert "$.op" in problems(leaf("visitor.cart.value", "contains", "x"))
    assert "a number" in problems(leaf("visitor.cart.value", "gt", "500"))["$.value"]
    assert "$.value" in problems(leaf("visitor.cart.value", "in", [1, "2"]))
    assert "$.op" in problems(leaf("visitor.segments", "gt", 2))


@pytest.mark.parametrize(("node", "where", "words"), [
    (leaf("event.x", "startswith", "a"), "$.op",
     "unknown operator 'startswith' — did you mean 'starts_with'?"),
    (leaf("event.x", "between", [3, 1]), "$.value", "low <= high"),
    (leaf("event.x", "between", [1]), "$.value", "[low, high]"),
    (leaf("event.x", "in", []), "$.value", "non-empty list"),
    (leaf("event.x", "in", "a"), "$.value", "list"),
    (leaf("event.x", "in", [[1]]), "$.value", "list of strings"),
    (leaf("event.x", "lt", True), "$.value", "'lt' needs a string or a number"),
    (leaf("event.x", "eq", None), "$.value", "a string or a number or a boolean"),
    (leaf("event.x", "eq", float("nan")), "$.value", "a string or a number"),
    (leaf("event.x", "starts_with", 5), "$.value", "needs a string"),
    ({"path": "event.x", "op": "eq"}, "$.value", "'eq' needs a value"),
    ({"path": "event.x", "op": "exists", "value": 3}, "$.value", "takes no value"),
    (leaf("event.x", "lt", 3, case_insensitive=True), "$.case_insensitive", "only on"),
    (leaf("event.x", "eq", "a", case_insensitive="yes"), "$.case_insensitive", "true or false"),
    (leaf("event.x", "eq", "a", valeu=1), "$.valeu", "did you mean 'value'?"),
    (leaf("event.x", "matches", "(unclosed"), "$.value", "invalid regular expression"),
    (leaf("event.x", "matches", r"(a)\1"), "$.value", "invalid regular expression"),
    (leaf("event.x", "matches", "a" * 1001), "$.value", "at most 1000 characters"),
    (leaf("event.x", "eq", "a" * 10_001), "$.value", "at most 10000 characters"),
    (leaf("event.x", "in", list(range(1001))), "$.value", "at most 1000 values"),
    ([], "$", "a condition is an object"),
    ({"all": {}}, "$.all", "list of conditions"),
    ({"all": [], "any": []}, "$", "has all and any"),
    ({"al": []}, "$", "exactly one of"),
    ({"not": [leaf("event.x", "exists")]}, "$.not", "a condition is an object"),
])
def test_problem_names_path_and_cause(node: Any, where: str, words: str) -> None:
    found = problems(node)
    assert where in found, found
    assert words in found[where]


def test_durations_and_window_shapes() -> None:
    found = problems({"any": [
        {"count": {"events": "search", "within": "10 minutes"}, "op": "gte", "value": 3},
        {"count": {"events": "search"}, "op": "gte", "value": 3},
        {"count": {"events": "search", "within": "1h"}, "op": "contains", "value": 3},
        {"count": {"visits": True, "events": "x", "within": "1d"}, "op": "gte", "value": 2},
        {"count": {"events": [], "within": "1d"}, "op": "gte", "value": 2},
        {"count": {"events": "x", "within": "1d"}, "op": "gte", "value": "2"},
        {"sequence": {"steps": "view_item", "within": "-5m"}},
        {"absence": {"after": ["a"], "missing": "purchase", "for": 0}},
    ]})
    assert "not a duration" in found["$.any[0].count.within"]
    assert "required" in found["$.any[1].count.within"]
    assert "a count compares" in found["$.any[2].op"]
    assert "exactly one of" in found["$.any[3].count"]
    assert "event name" in found["$.any[4].count.events"]
    assert "a number" in found["$.any[5].value"]
    assert "list of event names" in found["$.any[6].sequence.steps"]
    assert "'-5m' is not a duration" in found["$.any[6].sequence.within"]
    assert "an event name" in found["$.any[7].absence.after"]
    assert "more than zero" in found["$.any[7].absence.for"]


def test_all_problems_are_reported_at_once() -> None:
    tree = {"all": [leaf("visitor.nope", "eq", 1), leaf("event.x", "matches", "["),
                    leaf("event.x", "bogus", 1)]}
    with pytest.raises(ConditionError) as caught:
        compile_condition(tree)
    assert [p.path for p in caught.value.problems] == [
        "$.all[0].path", "$.all[1].value", "$.all[2].op"]
    assert "$.all[1].value: invalid regular expression" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value.problems[0], Problem)


def test_too_deep_is_a_problem() -> None:
    tree: Any = leaf("event.name", "eq", "x")
    for _ in range(40):
        tree = {"not": tree}
    found = problems(tree)
    assert len(found) == 1
    ((where, text),) = found.items()
    assert where == "$" + ".not" * 32
    assert "at most 32 levels" in text
    shallow: Any = leaf("event.name", "eq", "x")
    for _ in range(31):
        shallow = {"not": shallow}
    assert validate(shallow) == []


def test_too_many_nodes_is_a_problem() -> None:
    tree = {"any": [{"all": [leaf("event.name", "eq", str(i)) for i in range(100)]}
                    for _ in range(11)]}
    found = problems(tree)
    assert len(found) == 1
    assert "at most 1000 parts" in next(iter(found.values()))
    assert validate({"any": [leaf("event.name", "eq", str(i)) for i in range(999)]}) == []


def test_too_long_a_list_is_a_problem() -> None:
    assert "at most 1000" in problems({"any": [{}] * 1001})["$.any"]


@pytest.mark.parametrize(("text", "seconds"), [
    ("30s", 30), ("10m", 600), ("2h", 7200), ("30d", 2_592_000), ("1w", 604_800),
    ("1h30m", 5400), ("1.5h", 5400), (" 10M ", 600), (90, 90), (0.5, 0.5), ("45", 45),
])
def test_parse_duration(text: str | int | float, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "10", "ten minutes", "10y", "-5m", "0s", 0, -1, True,
                                 float("inf"), "401d", "m10", "1e3s"])
def test_parse_duration_rejects(bad: Any) -> None:
    if bad == "10":  # a bare number of seconds is fine
        assert parse_duration(bad) == 10
        return
    with pytest.raises(ConditionError) as caught:
        parse_duration(bad)
    assert caught.value.problems[0].path == "$"
