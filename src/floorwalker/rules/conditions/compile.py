"""Compile a condition tree once into a closure; validate it with every problem found."""

from __future__ import annotations

import functools
from typing import Any

from floorwalker.rules.conditions.errors import ConditionError, Problem
from floorwalker.rules.conditions.tree import Builder, Predicate, always_true


class Compiled(functools.partial[bool]):
    """A compiled condition: call it with an :class:`EvalContext` to get a bool (never raises).

    A ``functools.partial`` subclass so that calling it is a C-level hop to the closure,
    not a Python ``__call__`` (about a third of the cost of a small condition).
    """

    source: Any
    tables: frozenset[str]
    uses_time: bool

    def __new__(cls, evaluate: Predicate, source: Any, tables: frozenset[str],
                uses_time: bool) -> Compiled:
        """Wrap the closure ``evaluate`` with what the engine needs to know about it."""
        self = super().__new__(cls, evaluate)
        self.source = source
        self.tables = tables
        self.uses_time = uses_time
        return self

    @property
    def evaluate(self) -> Predicate:
        """The bare closure: the same answer as calling, with no wrapper at all."""
        return self.func

    def __repr__(self) -> str:
        return f"Compiled({self.source!r})"


def _walk(tree: Any) -> tuple[Builder, Predicate]:
    builder = Builder()
    if tree is None or tree == {}:
        return builder, always_true
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
