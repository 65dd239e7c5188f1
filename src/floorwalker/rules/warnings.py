"""Values a condition compares with that can never match what the field holds.

A condition such as ``geo.country equals "Netherlands"`` is valid, and never true: the
field holds ISO codes ("NL"). These checks find such values and say what to write
instead; they are warnings, not errors (a site may send unusual values of its own).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

from babel import Locale

from floorwalker.rules.conditions.derived import WEEKDAYS

_ENGLISH = Locale("en")
_COUNTRIES = {str(code) for code in _ENGLISH.territories
              if re.fullmatch(r"[A-Z]{2}", str(code))}
_COUNTRY_BY_NAME = {str(name).lower(): str(code)
                    for code, name in _ENGLISH.territories.items() if code in _COUNTRIES}
_LANGUAGES = {str(code) for code in _ENGLISH.languages
              if re.fullmatch(r"[a-z]{2}", str(code))}
_LANGUAGE_BY_NAME = {str(name).lower(): str(code)
                     for code, name in _ENGLISH.languages.items() if code in _LANGUAGES}
DEVICE_TYPES = ("desktop", "mobile", "tablet", "bot", "other")
COMPARED = frozenset({"eq", "ne", "in", "not_in"})

Check = Callable[[str, bool], str | None]  # (value, case-insensitive) -> the warning


def _country(value: str, case_insensitive: bool) -> str | None:
    if value in _COUNTRIES or (case_insensitive and value.upper() in _COUNTRIES):
        return None
    code = _COUNTRY_BY_NAME.get(value.strip().lower())
    if code is not None:
        return f'geo.country holds ISO codes: "{value}" never matches; use "{code}".'
    if value.upper() in _COUNTRIES:
        return (f'geo.country holds upper-case ISO codes: "{value}" never matches; use '
                f'"{value.upper()}" (or compare ignoring case).')
    return f'"{value}" is not a country code (ISO 3166, such as "NL" or "FR").'


def _language(value: str, case_insensitive: bool) -> str | None:
    if value in _LANGUAGES or (case_insensitive and value.lower() in _LANGUAGES):
        return None
    code = _LANGUAGE_BY_NAME.get(value.strip().lower())
    if code is not None:
        return f'visitor.language holds ISO codes: "{value}" never matches; use "{code}".'
    base = value.replace("_", "-").split("-")[0].lower()
    if base in _LANGUAGES:
        return (f'visitor.language holds the language alone: "{value}" never matches; use '
                f'"{base}" (visitor.locale holds "{base}-XX").')
    return f'"{value}" is not a language code (ISO 639-1, such as "nl" or "fr").'


def _one_of(field: str, allowed: Iterable[str]) -> Check:
    choices = tuple(allowed)

    def check(value: str, case_insensitive: bool) -> str | None:
        if value in choices or (case_insensitive and value.lower() in choices):
            return None
        return f'{field} is one of {", ".join(choices)}: "{value}" never matches.'
    return check


CHECKS: dict[str, Check] = {
    "geo.country": _country,
    "visitor.language": _language,
    "device.device_type": _one_of("device.device_type", DEVICE_TYPES),
    "context.weekday": _one_of("context.weekday", WEEKDAYS),
    "visitor.customer_type": _one_of("visitor.customer_type", ("customer", "prospect")),
}


def never_matches(tree: Any, path: str = "$.condition", *,
                  segments: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Warnings ``{"path", "problem"}`` for the values in ``tree`` that can never match
    (and, given the workspace's ``segments``, unknown segment keys)."""
    known_segments = set(segments) if segments is not None else None
    found: list[dict[str, str]] = []

    def leaf(node: dict[str, Any], at: str) -> None:
        field, op, value = node.get("path"), node.get("op"), node.get("value")
        if not isinstance(field, str) or not isinstance(op, str):
            return
        values = value if isinstance(value, list) else [value]
        check = CHECKS.get(field)
        if check is not None and op in COMPARED:
            for i, item in enumerate(values):
                if isinstance(item, str):
                    problem = check(item, bool(node.get("case_insensitive")))
                    if problem is not None:
                        where = f"{at}.value[{i}]" if isinstance(value, list) else f"{at}.value"
                        found.append({"path": where, "problem": problem})
        if field == "visitor.segments" and known_segments is not None \
                and op in ("contains", "not_contains"):
            for item in values:
                if isinstance(item, str) and item not in known_segments:
                    found.append({"path": f"{at}.value",
                                  "problem": f'No segment "{item}" in this workspace.'})

    def walk(node: Any, at: str, depth: int) -> None:
        if depth > 64 or not isinstance(node, dict):
            return
        for key in ("all", "any"):
            children = node.get(key)
            if isinstance(children, list):
                for i, child in enumerate(children[:1000]):
                    walk(child, f"{at}.{key}[{i}]", depth + 1)
                return
        if "not" in node:
            walk(node["not"], f"{at}.not", depth + 1)
            return
        leaf(node, at)

    walk(tree, path, 0)
    return found
