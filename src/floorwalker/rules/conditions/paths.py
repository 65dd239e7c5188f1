"""Resolve an operand path once: validate its root and fields, and build its getter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from floorwalker.rules.conditions.errors import did_you_mean
from floorwalker.rules.conditions.operands import (
    FIELDS,
    KNOWN,
    MAX_LOOKUP_NESTING,
    MAX_PATH,
    OPEN,
    ROOTS,
    TABLE_NAME,
    Getter,
    Operand,
    OperandError,
)
from floorwalker.rules.conditions.values import MISSING, key_text, walk
from floorwalker.rules.context import EvalContext

_EVENT_RESERVED = frozenset({"name", "type", "timestamp", "properties", "items", "item_ids",
                             "page", "item_id"})
_PAGE = frozenset({"url", "path", "title", "referrer"})
_STAFF = ("agents_online", "agents_free", "free_slots", "business_hours")


def resolve(text: str, nesting: int = 0) -> Operand:
    """The :class:`Operand` that ``text`` names; :class:`OperandError` if it names nothing."""
    if not isinstance(text, str) or not text:
        raise OperandError("path must be a non-empty string such as 'event.name'")
    if len(text) > MAX_PATH:
        raise OperandError(f"path is longer than {MAX_PATH} characters")
    known = FIELDS.get(text)
    if known is not None:
        return Operand(get=known[0], kind=known[1], uses_time=known[2])
    root, _, rest = text.partition(".")
    if root == "lookup":
        return _lookup(text, rest, nesting)
    if root not in ROOTS:
        raise OperandError(f"unknown attribute {text!r}{did_you_mean(text, KNOWN)}; "
                           f"paths start with {', '.join(r + '.' for r in ROOTS)}")
    parts = rest.split(".")
    if not rest or any(not p for p in parts):
        raise OperandError(f"{text!r} is incomplete{did_you_mean(text, KNOWN)}")
    if root == "event":
        return _event(text, parts)
    if root == "visitor" and parts[0] == "attributes" and len(parts) > 1:
        return _attribute(tuple(parts[1:]))
    if root == "context" and parts[0] in _STAFF and len(parts) == 2:
        return _staffing(parts[0], parts[1])
    children = sorted(k for k in KNOWN if k.startswith(text + "."))
    if children:
        raise OperandError(f"{text!r} is a group; write one of {', '.join(children[:12])}")
    hint = did_you_mean(text, KNOWN)
    if root == "context" and parts[0] in _STAFF:
        hint = f" — write context.{parts[0]}.<department>"
    raise OperandError(f"unknown attribute {text!r}{hint}")


def _event_getter(read: Callable[[Any], Any]) -> Getter:
    def get(ctx: EvalContext) -> Any:
        event = ctx.event
        return MISSING if event is None else read(event)
    return get


def _event(text: str, parts: list[str]) -> Operand:
    head = parts[0]
    if len(parts) == 1 and head in ("name", "type"):
        return Operand(get=_event_getter(lambda e: getattr(e, head)), kind="string",
                       fast=(head, ""))
    if len(parts) == 1 and head == "timestamp":
        return Operand(get=_event_getter(lambda e: e.ts), kind="number")
    if len(parts) == 1 and head == "items":
        return Operand(get=_event_getter(_items), kind="list")
    if len(parts) == 1 and head == "item_ids":
        return Operand(get=_event_getter(
            lambda e: [i.get("item_id") for i in _items(e) if isinstance(i, dict)]),
            kind="list")
    if len(parts) == 1 and head == "item_id":
        return Operand(get=_event_getter(_item_id), kind="any")
    if head == "page" and len(parts) == 2 and parts[1] in _PAGE:
        field = parts[1]
        return Operand(get=_event_getter(lambda e: _page(e, field)), kind="string")
    if head == "properties" and len(parts) > 1:
        keys = tuple(parts[1:])
    elif head not in _EVENT_RESERVED:
        keys = tuple(parts)
    else:
        raise OperandError(f"unknown attribute {text!r}{did_you_mean(text, KNOWN)}")
    if len(keys) == 1:
        key = keys[0]
        return Operand(get=_event_getter(lambda e: e.properties.get(key, MISSING)), kind="any",
                       fast=("prop", key))
    return Operand(get=_event_getter(lambda e: walk(e.properties, keys)), kind="any")


def _items(event: Any) -> Any:
    items = event.properties.get("items")
    return items if isinstance(items, list) else MISSING


def _item_id(event: Any) -> Any:
    """properties.item_id, else the item_id of the first item (GA4 puts it there)."""
    props = event.properties
    value = props.get("item_id", MISSING)
    if value is MISSING:
        items = props.get("items")
        if isinstance(items, list) and items and isinstance(items[0], dict):
            value = items[0].get("item_id", MISSING)
    return value


def _page(event: Any, field: str) -> Any:
    page = event.context.get("page")
    return page.get(field, MISSING) if isinstance(page, dict) else MISSING


def _attribute(keys: tuple[str, ...]) -> Operand:
    if len(keys) == 1:
        key = keys[0]
        return Operand(get=lambda c: c.profile.attributes.get(key, MISSING), kind="any")
    return Operand(get=lambda c: walk(c.profile.attributes, keys), kind="any")


def _staffing(what: str, department: str) -> Operand:
    if what == "agents_online":
        return Operand(get=lambda c: c.staffing.agents_online(department), kind="number")
    if what == "agents_free":
        return Operand(get=lambda c: c.staffing.agents_free(department), kind="number")
    if what == "free_slots":
        return Operand(get=lambda c: c.staffing.free_slots(department), kind="number")
    return Operand(get=lambda c: c.staffing.in_business_hours(department, c.now), kind="bool",
                   uses_time=True)


def _lookup(text: str, rest: str, nesting: int) -> Operand:
    usage = "write lookup.<table>[<path>].<field>, e.g. lookup.products[event.item_id].margin"
    table, bracket, tail = rest.partition("[")
    if not bracket or not TABLE_NAME.fullmatch(table):
        raise OperandError(f"{text!r} is not a lookup: {usage}")
    depth, end = 1, -1
    for i, char in enumerate(tail):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if depth == 0:
            end = i
            break
    if end < 0:
        raise OperandError(f"{text!r} has no closing ']': {usage}")
    key_path, after = tail[:end], tail[end + 1:]
    fields = tuple(after[1:].split(".")) if after.startswith(".") else ()
    if not fields or any(not f for f in fields):
        raise OperandError(f"{text!r} names no field after ']': {usage}")
    if nesting >= MAX_LOOKUP_NESTING:
        raise OperandError(f"lookups nest at most {MAX_LOOKUP_NESTING} deep")
    try:
        key = resolve(key_path, nesting + 1)
    except OperandError as exc:
        raise OperandError(f"in the key of {table!r}: {exc}") from None
    key_get = key.get

    def get(ctx: EvalContext) -> Any:
        wanted = key_text(key_get(ctx))
        rows = ctx.lookups.get(table) if wanted is not None else None
        row = rows.get(wanted) if rows is not None and wanted is not None else None
        return MISSING if row is None else walk(row, fields)

    return Operand(get=get, kind="any", uses_time=key.uses_time,
                   tables=key.tables | {table})


__all__ = ["OPEN", "Operand", "OperandError", "resolve"]
