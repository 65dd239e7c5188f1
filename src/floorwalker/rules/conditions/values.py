"""Run-time values: the "missing" marker, numbers from numeric strings, lookup keys."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final


class _Missing:
    """The value of a path that leads nowhere (no event, no such property, no session...)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final[Any] = _Missing()
_NUMERIC = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def parse_numeric(text: str) -> float | None:
    """The number a numeric string such as ``"12"`` or ``" -3.5 "`` holds, else ``None``."""
    text = text.strip()
    if len(text) > 64 or not _NUMERIC.fullmatch(text):
        return None
    return float(text)


def as_number(value: Any) -> float | int | None:
    """``value`` as a number: ints, floats and numeric strings; never booleans."""
    kind = type(value)
    if kind is int or kind is float:
        return value  # type: ignore[no-any-return]
    if kind is str:
        return parse_numeric(value)
    return None


def walk(value: Any, keys: tuple[str, ...]) -> Any:
    """Follow ``keys`` into nested objects (and list indexes); MISSING when a step fails."""
    for key in keys:
        if isinstance(value, Mapping):
            value = value.get(key, MISSING)
        elif type(value) is list and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return MISSING
    return value


def key_text(value: Any) -> str | None:
    """The text a lookup table is keyed by (as the CSV import stores it), or ``None``."""
    kind = type(value)
    if kind is str:
        return value[:255]  # type: ignore[no-any-return]
    if kind is int:
        return str(value)
    if kind is float:
        return str(int(value)) if value.is_integer() else repr(value)
    return None
