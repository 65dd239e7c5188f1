"""Leaves as single closures: the hot shapes read the event and compare inline.

Generic leaves call the operand's getter then the operator's test. The common shapes
(``event.name eq "x"``, ``event.<property> lt 10``, any numeric comparison) are fused into
one closure to save the Python calls, which dominate the cost of a leaf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from floorwalker.rules.conditions.operands import Operand
from floorwalker.rules.conditions.ops import COMPARE, Test
from floorwalker.rules.conditions.values import MISSING, parse_numeric
from floorwalker.rules.context import EvalContext

Predicate = Callable[[EvalContext], bool]


def leaf(operand: Operand, op: str, value: Any, test: Test) -> Predicate:
    """One predicate for ``operand op value`` (``test`` is its generic form)."""
    numeric = op in COMPARE and isinstance(value, int | float) and not isinstance(value, bool)
    fast = operand.fast
    if fast is not None and fast[0] in ("name", "type") and op in ("eq", "in") and not any(
            isinstance(v, bool | int | float) for v in (value if op == "in" else [value])):
        return _event_attr(fast[0], op, value, test)
    if fast is not None and fast[0] == "prop":
        return _event_prop_numeric(fast[1], COMPARE[op], value) if numeric else \
            _event_prop(fast[1], test)
    get = operand.get
    if numeric:
        return _numeric(get, COMPARE[op], value)

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


def _event_prop_numeric(key: str, cmp: Callable[[Any, Any], bool], limit: Any) -> Predicate:
    def prop(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value: Any = event.properties.get(key)
        kind = type(value)
        if kind is int or kind is float:
            return cmp(value, limit)
        if kind is str:
            number = parse_numeric(value)
            return number is not None and cmp(number, limit)
        return False

    return prop


def _numeric(get: Callable[[EvalContext], Any], cmp: Callable[[Any, Any], bool],
             limit: Any) -> Predicate:
    def compare(ctx: EvalContext) -> bool:
        try:
            value = get(ctx)
        except Exception:
            return False
        kind = type(value)
        if kind is int or kind is float:
            return cmp(value, limit)
        if kind is str:
            number = parse_numeric(value)
            return number is not None and cmp(number, limit)
        return False

    return compare
