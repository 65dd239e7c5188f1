"""What a rejected condition reports: every problem, each at its place in the tree."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import msgspec


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with a condition; ``path`` is like ``$.all[1].value``."""

    path: str
    problem: str


class ConditionError(ValueError):
    """A condition (or a duration) that cannot be compiled, with all its problems."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.path}: {p.problem}" for p in problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`` — did you mean 'x'?`` when a close choice exists, else an empty string."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.7)
    return f" — did you mean {close[0]!r}?" if close else ""
