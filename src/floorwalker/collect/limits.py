"""Size limits on what clients send: nesting depth, string length, keys per object."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from floorwalker.errors import ApiError


@dataclass(frozen=True, slots=True)
class Limits:
    """The documented limits (see docs/api.md), from settings."""

    max_depth: int = 8
    max_string: int = 8192
    max_keys: int = 256
    max_event_bytes: int = 32 * 1024
    max_batch_events: int = 500
    max_name: int = 200


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class _TooBig(Exception):
    """A violated limit; the path is assembled while the exception unwinds, so the common
    case (nothing wrong) builds no path strings at all."""

    def __init__(self, problem: str) -> None:
        self.parts: list[str] = []
        self.problem = problem


def _walk(value: Any, limits: Limits, depth: int) -> int:
    """The approximate encoded size of ``value``; raises _TooBig on a violated limit."""
    if isinstance(value, str):
        if len(value) > limits.max_string:
            raise _TooBig(f"string longer than {limits.max_string} characters")
        return len(value) + 2
    if isinstance(value, dict):
        if depth >= limits.max_depth:
            raise _TooBig(f"nested deeper than {limits.max_depth} levels")
        if len(value) > limits.max_keys:
            raise _TooBig(f"more than {limits.max_keys} keys")
        size = 2
        for key, item in value.items():
            if len(key) > limits.max_name:
                raise _TooBig(f"a key is longer than {limits.max_name} characters")
            try:
                size += len(key) + 4 + _walk(item, limits, depth + 1)
            except _TooBig as exc:
                exc.parts.append(f".{key}")
                raise
        return size
    if isinstance(value, list):
        if depth >= limits.max_depth:
            raise _TooBig(f"nested deeper than {limits.max_depth} levels")
        if len(value) > limits.max_keys:
            raise _TooBig(f"more than {limits.max_keys} items")
        size = 2
        for i, item in enumerate(value):
            try:
                size += 1 + _walk(item, limits, depth + 1)
            except _TooBig as exc:
                exc.parts.append(f"[{i}]")
                raise
        return size
    if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
        # Python reads any length of digits; nothing downstream (floats, JSON readers) can.
        raise _TooBig("integer outside the 64-bit range")
    return 8


def check_document(value: Any, limits: Limits, path: str) -> int:
    """Raise a 422 ``limit_exceeded`` naming the path, or return the approximate size."""
    try:
        return _walk(value, limits, 0)
    except _TooBig as exc:
        where = path + "".join(reversed(exc.parts))
        raise ApiError(422, "limit_exceeded", f"{where}: {exc.problem}.",
                       [{"path": where, "problem": exc.problem}]) from None
