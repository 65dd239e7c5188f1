"""Operand paths ("event.result_count", "visitor.cart.value"...) resolved once into getters.

A getter takes the :class:`EvalContext` and returns the value, or ``MISSING`` when the
path leads nowhere. No string is parsed at evaluation time.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from floorwalker.rules.conditions import derived
from floorwalker.rules.conditions.values import MISSING
from floorwalker.rules.context import EvalContext

Getter = Callable[[EvalContext], Any]
Kind = Literal["number", "string", "bool", "list", "any"]
MAX_PATH = 1000
MAX_LOOKUP_NESTING = 4
TABLE_NAME = re.compile(r"[a-z][a-z0-9_]{0,63}")


class OperandError(Exception):
    """An operand path that names nothing; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class Operand:
    """A resolved path: how to read it and what it holds."""

    get: Getter
    kind: Kind
    uses_time: bool = False
    tables: frozenset[str] = frozenset()
    # ("name"|"type", "") or ("prop", key): lets the compiler read the event inline.
    fast: tuple[str, str] | None = None


Field = tuple[Getter, Kind, bool]  # getter, kind, reads "now"


def _page(attr: str, which: str) -> Getter:
    def get(ctx: EvalContext) -> Any:
        session = ctx.profile.session
        page = getattr(session, which) if session is not None else None
        return MISSING if page is None else getattr(page, attr)
    return get


def _in_dict(owner: Callable[[EvalContext], Any], key: str) -> Getter:
    def get(ctx: EvalContext) -> Any:
        data = owner(ctx)
        return data.get(key, MISSING) if isinstance(data, dict) else MISSING
    return get


def _session_source(ctx: EvalContext) -> Any:
    session = ctx.profile.session
    return session.source if session is not None else None


def _cart_items(ctx: EvalContext) -> Any:
    return [{"item_id": i.item_id, "item_name": i.item_name, "item_category": i.item_category,
             "price": i.price, "quantity": i.quantity} for i in ctx.profile.cart.items]


SOURCE_FIELDS: dict[str, Kind] = {
    k: "string" for k in ("medium", "source", "campaign", "keywords", "term", "content",
                          "click_id", "referrer", "referrer_host", "landing_page")}
UTM = {"source": "source", "medium": "medium", "campaign": "campaign", "term": "term",
       "content": "content"}
GEO: dict[str, Kind] = {"country": "string", "city": "string", "region": "string",
                        "postal_code": "string", "time_zone": "string",
                        "latitude": "number", "longitude": "number"}
DEVICE: dict[str, Kind] = {"device_type": "string", "browser": "string", "os": "string",
                           "browser_version": "string", "os_version": "string",
                           "is_bot": "bool", "device_brand": "string",
                           "device_model": "string"}

FIELDS: dict[str, Field] = {
    "visitor.visit_count": (lambda c: c.profile.visit_count, "number", False),
    "visitor.event_count": (lambda c: c.profile.event_count, "number", False),
    "visitor.first_seen": (lambda c: c.profile.first_seen, "number", False),
    "visitor.last_seen": (lambda c: c.profile.last_seen, "number", False),
    "visitor.customer": (lambda c: c.profile.purchase_count > 0, "bool", False),
    "visitor.customer_type": (
        lambda c: "customer" if c.profile.purchase_count > 0 else "prospect", "string", False),
    "visitor.purchase_count": (lambda c: c.profile.purchase_count, "number", False),
    "visitor.lifetime_revenue": (lambda c: c.profile.lifetime_revenue, "number", False),
    "visitor.language": (lambda c: c.profile.language, "string", False),
    "visitor.locale": (lambda c: c.profile.locale, "string", False),
    "visitor.user_id": (lambda c: c.profile.user_id, "string", False),
    "visitor.identified": (lambda c: c.profile.user_id is not None, "bool", False),
    "visitor.cart.value": (lambda c: c.profile.cart.value, "number", False),
    "visitor.cart.items": (_cart_items, "list", False),
    "visitor.cart.item_count": (
        lambda c: sum(i.quantity for i in c.profile.cart.items), "number", False),
    "visitor.cart.item_ids": (
        lambda c: [i.item_id for i in c.profile.cart.items], "list", False),
    "visitor.cart.currency": (lambda c: c.profile.cart.currency, "string", False),
    "visitor.segments": (lambda c: list(c.profile.segments), "list", False),
    "visitor.recent_event_names": (
        lambda c: [name for name, _ in c.profile.recent], "list", False),
    "visitor.days_since_first_seen": (derived.days_since_first_seen, "number", True),
    "visitor.days_since_last_purchase": (derived.days_since_last_purchase, "number", True),
    "visitor.engagement_score": (derived.engagement_score, "number", True),
    "visitor.user_type": (derived.user_type, "string", False),
    "session.pages_viewed": (
        lambda c: MISSING if (s := c.profile.session) is None else s.pages_viewed,
        "number", False),
    "session.time_on_site": (derived.time_on_site, "number", True),
    "session.idle_seconds": (derived.idle_seconds, "number", True),
    "session.events": (
        lambda c: MISSING if (s := c.profile.session) is None else s.events,
        "number", False),
    "session.number": (
        lambda c: MISSING if (s := c.profile.session) is None else s.number,
        "number", False),
    "session.started_at": (
        lambda c: MISSING if (s := c.profile.session) is None else s.started_at,
        "number", False),
    "context.now": (lambda c: c.now, "number", True),
    "context.local_hour": (derived.local_hour, "number", True),
    "context.weekday": (derived.local_weekday, "string", True),
}
for _which in ("landing_page", "current_page"):
    for _attr in ("url", "path", "title"):
        FIELDS[f"session.{_which}.{_attr}"] = (_page(_attr, _which), "string", False)
for _key, _kind in SOURCE_FIELDS.items():
    _get = _in_dict(_session_source, _key)
    FIELDS[f"session.source.{_key}"] = FIELDS[f"source.{_key}"] = (_get, _kind, False)
    FIELDS[f"visitor.first_source.{_key}"] = (
        _in_dict(lambda c: c.profile.first_source, _key), _kind, False)
for _utm, _key in UTM.items():
    FIELDS[f"session.utm.{_utm}"] = FIELDS[f"utm.{_utm}"] = FIELDS[f"session.source.{_key}"]
for _key, _kind in GEO.items():
    FIELDS[f"geo.{_key}"] = (_in_dict(lambda c: c.profile.geo, _key), _kind, False)
for _key, _kind in DEVICE.items():
    FIELDS[f"device.{_key}"] = (_in_dict(lambda c: c.profile.device, _key), _kind, False)

OPEN = ("event.properties.<name>", "event.<name>", "visitor.attributes.<name>",
        "lookup.<table>[<path>].<field>", "context.agents_online.<department>",
        "context.agents_free.<department>", "context.free_slots.<department>",
        "context.business_hours.<department>")
EVENT_FIXED = ("event.name", "event.type", "event.timestamp", "event.items", "event.item_ids",
               "event.item_id", "event.page.url", "event.page.path", "event.page.title",
               "event.page.referrer")
KNOWN = (*FIELDS, *EVENT_FIXED)
ROOTS = ("event", "visitor", "session", "geo", "device", "lookup", "context", "source", "utm")
