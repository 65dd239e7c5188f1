"""Numeric comparisons as single closures, one per operator and shape.

Written out per operator on purpose: an inline ``<`` is measurably cheaper than calling
``operator.lt`` or a lambda, and a numeric leaf is the most common leaf there is. Each
closure reads the value, turns a numeric string into a number, and compares; any other
type (booleans, None, lists, a missing value) is false.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from floorwalker.rules.conditions.values import parse_numeric
from floorwalker.rules.context import EvalContext

Predicate = Callable[[EvalContext], bool]
Getter = Callable[[EvalContext], Any]


def _prop_eq(key: str, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value: Any = event.properties.get(key)
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value == limit

    return test


def _get_eq(get: Getter, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        try:
            value = get(ctx)
        except Exception:  # a leaf that cannot be read is false, never an error
            return False
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value == limit

    return test

def _prop_ne(key: str, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value: Any = event.properties.get(key)
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value != limit

    return test


def _get_ne(get: Getter, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        try:
            value = get(ctx)
        except Exception:  # a leaf that cannot be read is false, never an error
            return False
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value != limit

    return test

def _prop_lt(key: str, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value: Any = event.properties.get(key)
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value < limit

    return test


def _get_lt(get: Getter, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        try:
            value = get(ctx)
        except Exception:  # a leaf that cannot be read is false, never an error
            return False
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value < limit

    return test

def _prop_lte(key: str, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value: Any = event.properties.get(key)
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value <= limit

    return test


def _get_lte(get: Getter, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        try:
            value = get(ctx)
        except Exception:  # a leaf that cannot be read is false, never an error
            return False
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value <= limit

    return test

def _prop_gt(key: str, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value: Any = event.properties.get(key)
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value > limit

    return test


def _get_gt(get: Getter, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        try:
            value = get(ctx)
        except Exception:  # a leaf that cannot be read is false, never an error
            return False
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value > limit

    return test

def _prop_gte(key: str, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        event = ctx.event
        if event is None:
            return False
        value: Any = event.properties.get(key)
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value >= limit

    return test


def _get_gte(get: Getter, limit: Any) -> Predicate:
    def test(ctx: EvalContext) -> bool:
        try:
            value = get(ctx)
        except Exception:  # a leaf that cannot be read is false, never an error
            return False
        if type(value) is str:
            value = parse_numeric(value)
        kind = type(value)
        return (kind is int or kind is float) and value >= limit

    return test


PROPERTY: dict[str, Callable[[str, Any], Predicate]] = {
    "eq": _prop_eq,
    "ne": _prop_ne,
    "lt": _prop_lt,
    "lte": _prop_lte,
    "gt": _prop_gt,
    "gte": _prop_gte,
}
GETTER: dict[str, Callable[[Getter, Any], Predicate]] = {
    "eq": _get_eq,
    "ne": _get_ne,
    "lt": _get_lt,
    "lte": _get_lte,
    "gt": _get_gt,
    "gte": _get_gte,
}
