"""Durations as people write them: "30s", "10m", "2h", "30d", "1w", "1h30m" or seconds."""

from __future__ import annotations

import math
import re

from floorwalker.rules.conditions.errors import ConditionError, Problem

UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
MAX_SECONDS = 400 * 86400.0  # longer than any window the profile keeps events for
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?\s*[smhdw]\s*)+")
_PLAIN = re.compile(r"\d+(?:\.\d+)?")


def duration_problem(value: object) -> tuple[float, str | None]:
    """Seconds and ``None``, or ``0`` and a sentence saying what is wrong with ``value``."""
    hint = 'a duration such as "30s", "10m", "2h", "30d", "1w" or a number of seconds'
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return 0.0, f"expected {hint}"
    if isinstance(value, str):
        text = value.strip().lower()
        if len(text) > 64:
            return 0.0, f"expected {hint}"
        if _PLAIN.fullmatch(text):
            seconds = float(text)
        elif _WHOLE.fullmatch(text):
            seconds = sum(float(n) * UNITS[u] for n, u in _PART.findall(text))
        else:
            return 0.0, f"{value!r} is not {hint}"
    else:
        seconds = float(value)
    if not math.isfinite(seconds) or seconds <= 0:
        return 0.0, "a duration must be more than zero"
    if seconds > MAX_SECONDS:
        return 0.0, "a duration can be at most 400 days"
    return seconds, None


def parse_duration(value: str | int | float) -> float:
    """Seconds in ``value``; :class:`ConditionError` when it is not a positive duration."""
    seconds, problem = duration_problem(value)
    if problem is not None:
        raise ConditionError([Problem("$", problem)])
    return seconds
