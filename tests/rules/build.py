"""Profiles, events and contexts for condition tests, around a fixed ``NOW``."""

from __future__ import annotations

from typing import Any

from floorwalker.events import Incoming
from floorwalker.profiles.model import Cart, CartItem, PageRef, Profile, Purchase, Session
from floorwalker.rules.conditions import compile_condition
from floorwalker.rules.context import EvalContext, StaffingView

NOW = 1_750_000_000.0  # 2025-06-15 15:06:40 UTC, a Sunday
MIN = 60.0
DAY = 86400.0


def event(name: str = "page_view", *, type: str = "track", at: float = NOW,
          context: dict[str, Any] | None = None, **properties: Any) -> Incoming:
    """A tracked event as the pipeline hands it to the rules engine."""
    return Incoming(type=type, name=name, message_id="m1", workspace_id="w1", site_id="s1",
                    anonymous_id="a1", user_id=None, properties=properties, ts=at,
                    received_at=at, context=context or {})


def session(started: float = NOW - 5 * MIN, last: float = NOW, **fields: Any) -> Session:
    """The visit in progress."""
    return Session(id="s", number=fields.pop("number", 1), started_at=started,
                   last_event_at=last, **fields)


def profile(**fields: Any) -> Profile:
    """A visitor profile with the given fields."""
    fields.setdefault("visitor_id", "v_1")
    fields.setdefault("workspace_id", "w1")
    return Profile(**fields)


def cart(*lines: tuple[str, float, float], currency: str = "EUR") -> Cart:
    """A cart of (item_id, price, quantity) lines."""
    items = [CartItem(item_id=i, price=p, quantity=q) for i, p, q in lines]
    return Cart(items=items, value=sum(p * q for _, p, q in lines), currency=currency)


def ctx(prof: Profile | None = None, ev: Incoming | None = None, *, now: float = NOW,
        lookups: dict[str, dict[str, dict[str, Any]]] | None = None,
        staffing: StaffingView | None = None) -> EvalContext:
    """An evaluation context; a fresh memo each time."""
    context = EvalContext(profile=prof or profile(), now=now, event=ev,
                          lookups=lookups or {})
    if staffing is not None:
        context.staffing = staffing
    return context


def holds(tree: Any, context: EvalContext) -> bool:
    """Compile ``tree`` and evaluate it on ``context``."""
    return compile_condition(tree)(context)


def leaf(path: str, op: str, value: Any = None, **extra: Any) -> dict[str, Any]:
    """A leaf condition."""
    node: dict[str, Any] = {"path": path, "op": op, **extra}
    if op not in ("exists", "missing"):
        node["value"] = value
    return node


__all__ = ["DAY", "MIN", "NOW", "Cart", "PageRef", "Purchase", "cart", "ctx", "event", "holds",
           "leaf", "profile", "session"]
