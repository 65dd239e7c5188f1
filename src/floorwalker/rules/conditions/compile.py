"""Compile a condition tree once into a closure; validate it with every problem found."""

from __future__ import annotations

from typing import Any

from floorwalker.rules.conditions.errors import ConditionError, Problem
from floorwalker.rules.conditions.tree import Builder, Predicate, _true
from floorwalker.rules.context import EvalContext


class Compiled:
    """A compiled condition: call it with an :class:`EvalContext` to get a bool."""

    __slots__ = ("evaluate", "source", "tables", "uses_time")

    def __init__(self, evaluate: Predicate, source: Any, tables: frozenset[str],
                 uses_time: bool) -> None:
        # ``evaluate`` is the bare closure: the same answer as calling, one call cheaper.
        self.evaluate = evaluate
        self.source = source
        self.tables = tables
        self.uses_time = uses_time

    def __call__(self, ctx: EvalContext) -> bool:
        """True when the condition holds for ``ctx``; never raises."""
        return self.evaluate(ctx)

    def __repr__(self) -> str:
        return f"Compiled({self.source!r})"


def _walk(tree: Any) -> tuple[Builder, Predicate]:
    builder = Builder()
    if tree is None or tree == {}:
        return builder, _true
    return builder, builder.node(tree, "$")


def validate(tree: Any) -> list[Problem]:
    """Every problem in ``tree`` (an empty list means it compiles)."""
    return _walk(tree)[0].problems


def compile_condition(tree: Any) -> Compiled:
    """Compile ``tree`` (None or {} = always true); :class:`ConditionError` lists problems."""
    builder, predicate = _walk(tree)
    if builder.problems:
        raise ConditionError(builder.problems)
    return Compiled(predicate, tree, frozenset(builder.tables), builder.uses_time)
