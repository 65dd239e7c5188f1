"""Leaves as single closures: the hot shapes read the event and compare inline.

Generic leaves call the operand's getter then the operator's test. The common shapes
(``event.name eq "x"``, ``event.<property> lt 10``, any numeric comparison) are fused into
one closure to save the Python calls, which dominate the cost of a leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from floorwalker.rules.conditions import numeric as numeric_leaf
from floorwalker.rules.conditions.operands import Operand
from floorwalker.rules.conditions.ops import COMPARE, Test
from floorwalker.rules.conditions.values import MISSING
from floorwalker.rules.context import EvalContext

Predicate = Callable[[EvalContext], bool]


def leaf(operand: Operand, op: str, value: Any, test: Test,
         case_insensitive: bool = False) -> Predicate:
    """One predicate for ``operand op value`` (``test`` is its generic form)."""
    numeric = op in COMPARE and isinstance(value, int | float) and not isinstance(value, bool)
    fast = operand.fast
    if fast is not None and fast[0] in ("name", "type") and op in ("eq", "in") and not any(
            isinstance(v, bool | int | float) for v in (value if op == "in" else [value])):
        return _event_attr(fast[0], op, value, test)
    if fast is not None and fast[0] == "prop":
        if numeric:
            return numeric_leaf.PROPERTY[op](fast[1], value)
        if op in ("exists", "missing"):
            return _event_prop_presence(fast[1], op == "exists")
        texts = value if op == "in" else [value] if op == "eq" else None
        if isinstance(texts, list) and all(isinstance(t, str) for t in texts):
            return _event_prop_text(fast[1], texts, case_insensitive, test)
        return _event_prop(fast[1], test)
    get = operand.get
    if numeric:
        return numeric_leaf.GETTER[op](get, value)
    if op == "eq" and isinstance(value, bool):
        return _identical(get, value)

    def generic(ctx: EvalContext) -> bool:
        try:
            return test(get(ctx))
        except Exception:  # a leaf that cannot be read is false, never an error
            return False

    return generic


def _event_attr(attr: str, op: str, value: Any, test: Test) -> Predicate:
    if op == "in":
        if len({type(v) for v in value}) != 1:
            return lambda ctx: test(MISSING if ctx.event is None else getattr(ctx.event, attr))
        names = frozenset(value)
        if attr == "name":
            return lambda ctx: ctx.event is not None and ctx.event.name in names
        return lambda ctx: ctx.event is not None and ctx.event.type in names
    if attr == "name":
        return lambda ctx: ctx.event is not None and ctx.event.name == value
    return lambda ctx: ctx.event is not None and ctx.event.type == value


def _event_prop(key: str, test: Test) -> Predicate:
    def prop(ctx: EvalContext) -> bool:
        event = ctx.event
        try:
            return test(MISSING if event is None else event.properties.get(key, MISSING))
        except Exception:
            return False

    return prop


def _event_prop_text(key: str, texts: list[str], ci: bool, test: Test) -> Predicate:
    """``eq``/``in`` with strings: a string property is looked up inline."""
    wanted = frozenset(t.casefold() for t in texts) if ci else frozenset(texts)

    def text(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value = event.properties.get(key)
        if type(value) is str:
            return (value.casefold() if ci else value) in wanted
        try:
            return test(MISSING if value is None and key not in event.properties else value)
        except Exception:
            return False

    return text


def _event_prop_presence(key: str, exists: bool) -> Predicate:
    if exists:
        return lambda ctx: ctx.event is not None and ctx.event.properties.get(key) is not None
    return lambda ctx: ctx.event is None or ctx.event.properties.get(key) is None


def _identical(get: Callable[[EvalContext], Any], value: bool) -> Predicate:
    def same(ctx: EvalContext) -> bool:
        try:
            return get(ctx) is value
        except Exception:
            return False

    return same
