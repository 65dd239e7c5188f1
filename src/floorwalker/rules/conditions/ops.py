"""Operators: what value each accepts (checked when saved) and its run-time test.

A test takes the operand's value and returns a bool; it never raises for any JSON value or
``MISSING``. The constant decides how values compare: a number constant compares numbers
(numeric strings such as ``"12"`` count as numbers), a string constant compares strings
only, a boolean constant booleans only. Anything else — including a missing value — makes
the leaf false, for ``ne``/``not_in``/``not_contains`` too; only ``missing`` is true then.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import re2  # type: ignore[import-untyped]

from floorwalker.rules.conditions.errors import Problem, did_you_mean
from floorwalker.rules.conditions.operands import Kind
from floorwalker.rules.conditions.values import MISSING, as_number, parse_numeric

Test = Callable[[Any], bool]
MAX_STRING = 10_000
MAX_LIST = 1000
MAX_PATTERN = 1000
COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "lte": operator.le,
           "gt": operator.gt, "gte": operator.ge}
SET_OPS = ("in", "not_in")
TEXT_OPS = ("contains", "not_contains", "starts_with", "ends_with", "matches")
OPS = (*COMPARE, "between", *SET_OPS, *TEXT_OPS, "exists", "missing")
CASE_OPS = frozenset({"eq", "ne", *SET_OPS, *TEXT_OPS})
NUMERIC_OPS = frozenset({*COMPARE, "between"})
_ALLOWED: dict[Kind, frozenset[str]] = {
    "number": frozenset({*COMPARE, "between", *SET_OPS, "exists", "missing"}),
    "string": frozenset(OPS),
    "bool": frozenset({"eq", "ne", "exists", "missing"}),
    "list": frozenset({*SET_OPS, "contains", "not_contains", "exists", "missing"}),
    "any": frozenset(OPS),
}
_KIND_NAME = {"number": "a number", "string": "a string", "bool": "a boolean (true/false)",
              "list": "a list"}


def _scalar_kind(value: Any) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number" if math.isfinite(value) else None
    if isinstance(value, str):
        return "string" if len(value) <= MAX_STRING else None
    return None


def check(op: Any, value: Any, has_value: bool, kind: Kind, ci: Any, at: str,
          operand: str) -> list[Problem]:
    """Problems with ``op`` and ``value`` for an operand of ``kind`` at tree path ``at``."""
    if not isinstance(op, str) or op not in OPS:
        shown = op if isinstance(op, str) else type(op).__name__
        return [Problem(f"{at}.op", f"unknown operator {shown!r}{did_you_mean(str(op), OPS)};"
                                    f" one of {', '.join(OPS)}")]
    problems: list[Problem] = []
    if op not in _ALLOWED[kind]:
        usable = ", ".join(sorted(_ALLOWED[kind]))
        problems.append(Problem(f"{at}.op", f"{operand} is {_KIND_NAME[kind]}; {op!r} does not"
                                            f" apply to it (use one of {usable})"))
    if ci is not None and (not isinstance(ci, bool) or op not in CASE_OPS):
        problems.append(Problem(f"{at}.case_insensitive",
                                "case_insensitive must be true or false, and only on "
                                + ", ".join(sorted(CASE_OPS))))
    want = _value_problem(op, value, has_value, kind)
    if want:
        problems.append(Problem(f"{at}.value", want))
    return problems


def _value_problem(op: str, value: Any, has_value: bool, kind: Kind) -> str | None:
    if op in ("exists", "missing"):
        return None if value is None else f"{op!r} takes no value"
    if not has_value:
        return f"{op!r} needs a value"
    scalar = _scalar_kind(value)
    too_long = isinstance(value, str) and len(value) > MAX_STRING
    if too_long:
        return f"strings are at most {MAX_STRING} characters"
    if op in COMPARE or op in ("contains", "not_contains"):
        allowed = ("string", "number") if op in ("lt", "lte", "gt", "gte") else (
            "string", "number", "bool")
        if scalar not in allowed:
            return f"{op!r} needs " + " or ".join(_KIND_NAME[a] for a in allowed)
        expected = kind if kind in ("number", "string", "bool") else None
        if expected and scalar != expected:
            name = _KIND_NAME[expected]
            return f"the attribute is {name}; compare it with {name}"
        return None
    if op == "between":
        if (not isinstance(value, list) or len(value) != 2
                or _scalar_kind(value[0]) not in ("number", "string")
                or _scalar_kind(value[0]) != _scalar_kind(value[1])):
            return "'between' needs [low, high]: two numbers or two strings"
        if kind == "number" and _scalar_kind(value[0]) != "number":
            return "the attribute is a number; 'between' needs two numbers"
        return None if value[0] <= value[1] else "'between' needs low <= high"
    if op in SET_OPS:
        if not isinstance(value, list) or not value:
            return f"{op!r} needs a non-empty list of strings, numbers or booleans"
        if len(value) > MAX_LIST:
            return f"lists hold at most {MAX_LIST} values"
        if any(_scalar_kind(v) is None for v in value):
            return f"{op!r} needs a list of strings, numbers or booleans (finite, short)"
        if kind in ("number", "string", "bool") and any(_scalar_kind(v) != kind for v in value):
            return f"the attribute is {_KIND_NAME[kind]}; list only such values"
        return None
    if not isinstance(value, str):
        return f"{op!r} needs a string"
    if op == "matches":
        if len(value) > MAX_PATTERN:
            return f"a pattern is at most {MAX_PATTERN} characters"
        try:
            _regex(value, False)
        except re2.error as exc:
            detail = exc.args[0].decode(errors="replace") if exc.args and isinstance(
                exc.args[0], bytes) else str(exc)
            return f"invalid regular expression: {detail}"
    return None


def _regex(pattern: str, ci: bool) -> Any:
    options = re2.Options()
    options.log_errors = False
    options.case_sensitive = not ci
    return re2.compile(pattern, options)


def _fold(value: Any, ci: bool) -> Any:
    return value.casefold() if ci and isinstance(value, str) else value


def member_test(values: list[Any], ci: bool) -> Test:
    """True when a scalar equals one of ``values`` (by the constant's type)."""
    strs = frozenset(_fold(v, ci) for v in values if isinstance(v, str))
    nums = frozenset(v for v in values if _scalar_kind(v) == "number")
    bools = frozenset(v for v in values if isinstance(v, bool))

    def member(x: Any) -> bool:
        kind = type(x)
        if kind is str:
            if (x.casefold() if ci else x) in strs:
                return True
            if nums:
                number = parse_numeric(x)
                return number is not None and number in nums
            return False
        if kind is int or kind is float:
            return x in nums
        return kind is bool and x in bools

    return member


def build(op: str, value: Any, ci: bool) -> Test:
    """The run-time test of a valid ``op``/``value`` pair."""
    if op == "exists":
        return lambda v: v is not MISSING and v is not None
    if op == "missing":
        return lambda v: v is MISSING or v is None
    if op in COMPARE:
        return _compare(op, value, ci)
    if op == "between":
        low, high = value
        if isinstance(low, str):
            return lambda v: type(v) is str and low <= v <= high
        return lambda v: (n := as_number(v)) is not None and low <= n <= high
    if op in SET_OPS:
        member = member_test(value, ci)
        if op == "in" and all(isinstance(v, str) for v in value):
            names = frozenset(_fold(v, ci) for v in value)

            def among(v: Any) -> bool:
                if type(v) is str:  # the common case, without the generic member call
                    return (v.casefold() if ci else v) in names
                return type(v) is list and any(map(member, v))

            return among
        if op == "in":
            return lambda v: any(map(member, v)) if type(v) is list else member(v)
        return lambda v: (not any(map(member, v)) if type(v) is list
                          else v is not MISSING and v is not None and type(v) is not dict
                          and not member(v))
    return _text(op, value, ci)


def _compare(op: str, value: Any, ci: bool) -> Test:
    cmp = COMPARE[op]
    if isinstance(value, bool):
        return (lambda v: v is value) if op == "eq" else (lambda v: type(v) is bool and v != value)
    if isinstance(value, str):
        if ci:
            folded = value.casefold()
            return lambda v: type(v) is str and cmp(v.casefold(), folded)
        return lambda v: type(v) is str and cmp(v, value)
    return lambda v: (n := as_number(v)) is not None and cmp(n, value)


def _text(op: str, value: Any, ci: bool) -> Test:
    if op == "matches":
        search = _regex(value, ci).search
        return lambda v: type(v) is str and search(v) is not None
    if op in ("contains", "not_contains"):
        member = member_test([value], ci)
        needle = _fold(value, ci)
        text_ok = isinstance(value, str)

        def contains(v: Any) -> bool | None:
            if type(v) is list:
                return any(map(member, v))
            if type(v) is str and text_ok:
                return needle in (v.casefold() if ci else v)
            return None  # neither a list nor a string: not comparable

        if op == "contains":
            return lambda v: contains(v) is True
        return lambda v: contains(v) is False
    needle = _fold(value, ci)
    if op == "starts_with":
        return lambda v: type(v) is str and (v.casefold() if ci else v).startswith(needle)
    return lambda v: type(v) is str and (v.casefold() if ci else v).endswith(needle)
