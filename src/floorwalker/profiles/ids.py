"""Identifiers: visitor ids and the placeholder ids clients send by mistake."""

from __future__ import annotations

import secrets

# Values broken clients send when they have no id; accepting them would merge strangers.
PLACEHOLDER_IDS = frozenset({
    "", "null", "undefined", "none", "nil", "nan", "0", "-1", "anonymous", "anon",
    "guest", "unknown", "[object object]", "false", "true", "00000000-0000-0000-0000-000000000000",
})
MAX_ID_LENGTH = 255


def new_visitor_id() -> str:
    """A new random visitor id."""
    return "v_" + secrets.token_hex(10)


def is_placeholder(value: str) -> bool:
    """True for ids that name nobody (``null``, ``undefined``, ``0``, empty...)."""
    return value.strip().lower() in PLACEHOLDER_IDS
