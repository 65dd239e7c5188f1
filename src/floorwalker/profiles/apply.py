"""Applying one event to a profile: sessions, pages, cart, purchases, attributes."""

from __future__ import annotations

import math
import uuid
from typing import Any

from floorwalker.events import Incoming
from floorwalker.profiles.model import (
    MAX_PURCHASES_KEPT,
    MAX_RECENT_EVENTS,
    MAX_VISIT_STARTS,
    Cart,
    CartItem,
    PageRef,
    Profile,
    Purchase,
    Session,
)

CART_SNAPSHOT_EVENTS = frozenset({"view_cart", "begin_checkout", "add_payment_info",
                                  "add_shipping_info"})
PAGE_EVENTS = frozenset({"page_view", "screen_view"})
MAX_CART_ITEMS = 200


# Money and quantities beyond this are nonsense (or an attack); they would overflow sums.
MAX_AMOUNT = 1e12


def _num(value: Any, default: float = 0.0) -> float:
    """A finite number within ±MAX_AMOUNT from a number or numeric string, else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, int | float | str):
        try:
            number = float(value)
        except (ValueError, OverflowError):
            return default
        if not math.isfinite(number):
            return default
        return max(-MAX_AMOUNT, min(MAX_AMOUNT, number))
    return default


def _str(value: Any) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _items(props: dict[str, Any]) -> list[CartItem]:
    raw = props.get("items")
    if not isinstance(raw, list):
        # Segment's spec names single-product events with top-level product fields.
        item_id = _str(props.get("item_id") or props.get("product_id") or props.get("sku"))
        if item_id is None:
            return []
        raw = [props]
    items: list[CartItem] = []
    for entry in raw[:MAX_CART_ITEMS]:
        if not isinstance(entry, dict):
            continue
        item_id = _str(entry.get("item_id") or entry.get("product_id") or entry.get("sku")
                       or entry.get("id"))
        if item_id is None:
            continue
        items.append(CartItem(
            item_id=item_id,
            item_name=_str(entry.get("item_name") or entry.get("name")),
            item_category=_str(entry.get("item_category") or entry.get("category")),
            price=_num(entry.get("price")),
            quantity=max(0.0, _num(entry.get("quantity"), 1.0)),
        ))
    return items


def _recompute(cart: Cart, ts: float) -> None:
    cart.value = round(sum(i.price * i.quantity for i in cart.items), 2)
    cart.updated_at = ts


def _apply_cart(profile: Profile, ev: Incoming) -> None:
    props = ev.properties
    name = ev.name
    cart = profile.cart
    currency = _str(props.get("currency"))
    if name == "add_to_cart":
        for item in _items(props):
            for line in cart.items:
                if line.item_id == item.item_id:
                    line.quantity += item.quantity
                    if item.price:
                        line.price = item.price
                    break
            else:
                if len(cart.items) < MAX_CART_ITEMS:
                    cart.items.append(item)
    elif name == "remove_from_cart":
        for item in _items(props):
            for line in cart.items:
                if line.item_id == item.item_id:
                    line.quantity -= item.quantity
            cart.items = [line for line in cart.items if line.quantity > 0]
    elif name in CART_SNAPSHOT_EVENTS:
        items = _items(props)
        if items:
            cart.items = items
    else:
        return
    if currency:
        cart.currency = currency
    _recompute(cart, ev.ts)


def purchase_of(ev: Incoming, cart_currency: str | None = None) -> Purchase:
    """What a ``purchase`` event says: its order id, value, currency and item count.

    The value is ``value`` (GA4), ``revenue`` or ``total`` (Segment), else the items'
    sum; the currency falls back to the cart's.
    """
    props = ev.properties
    txn = _str(props.get("transaction_id") or props.get("order_id"))
    items = _items(props)
    value = _num(props.get("value", props.get("revenue", props.get("total"))))
    if not value and items:
        value = sum(i.price * i.quantity for i in items)
    currency = _str(props.get("currency")) or cart_currency
    return Purchase(transaction_id=txn, value=value, currency=currency, items=len(items),
                    at=ev.ts)


def _apply_purchase(profile: Profile, ev: Incoming) -> None:
    purchase = purchase_of(ev, profile.cart.currency)
    txn = purchase.transaction_id
    if txn is not None and any(p.transaction_id == txn for p in profile.purchases):
        return  # the same order reported twice counts once
    value, currency = purchase.value, purchase.currency
    profile.purchases.append(purchase)
    del profile.purchases[:-MAX_PURCHASES_KEPT]
    profile.purchase_count += 1
    profile.lifetime_revenue = round(profile.lifetime_revenue + value, 2)
    key = currency or "unknown"
    profile.revenue_by_currency[key] = round(profile.revenue_by_currency.get(key, 0.0) + value, 2)
    profile.cart = Cart(updated_at=ev.ts)


def _apply_refund(profile: Profile, ev: Incoming) -> None:
    props = ev.properties
    txn = _str(props.get("transaction_id") or props.get("order_id"))
    target = next((p for p in profile.purchases if txn and p.transaction_id == txn), None)
    value = _num(props.get("value"))
    if target is not None:
        value = min(value or target.value, target.value - target.refunded)
        target.refunded += value
    if value <= 0:
        return
    profile.lifetime_revenue = round(profile.lifetime_revenue - value, 2)
    currency = (target.currency if target else None) or _str(props.get("currency")) or "unknown"
    profile.revenue_by_currency[currency] = round(
        profile.revenue_by_currency.get(currency, 0.0) - value, 2)


def apply_attributes(attributes: dict[str, Any], ops: dict[str, Any],
                     protected: frozenset[str] = frozenset()) -> None:
    """Apply ``$set`` / ``$set_once`` / ``$unset`` operations; skip ``protected`` names."""
    to_set = ops.get("$set")
    if isinstance(to_set, dict):
        for key, value in to_set.items():
            if key not in protected:
                attributes[key] = value
    once = ops.get("$set_once")
    if isinstance(once, dict):
        for key, value in once.items():
            if key not in protected and key not in attributes:
                attributes[key] = value
    unset = ops.get("$unset")
    if isinstance(unset, list):
        for key in unset:
            if isinstance(key, str) and key not in protected:
                attributes.pop(key, None)


def _attribute_ops(ev: Incoming) -> dict[str, Any] | None:
    if ev.type == "identify" and ev.traits:
        ops: dict[str, Any] = {"$set": {k: v for k, v in ev.traits.items()
                                        if not k.startswith("$")}}
        for key in ("$set", "$set_once", "$unset"):
            if key in ev.traits:
                if key == "$set" and isinstance(ev.traits[key], dict):
                    ops["$set"].update(ev.traits[key])
                else:
                    ops[key] = ev.traits[key]
        return ops
    if any(k in ev.properties for k in ("$set", "$set_once", "$unset")):
        return {k: ev.properties[k] for k in ("$set", "$set_once", "$unset")
                if k in ev.properties}
    return None


def _page_ref(ctx: dict[str, Any]) -> PageRef | None:
    page = ctx.get("page")
    if not isinstance(page, dict):
        return None
    return PageRef(url=page.get("url"), path=page.get("path"), title=page.get("title"))


def _starts_new_session(session: Session | None, ev: Incoming, timeout: float) -> bool:
    if session is None:
        return True
    if ev.ts - session.last_event_at > timeout:
        return True
    # A new campaign click starts a new visit, as in Google Analytics.
    source = ev.context.get("source")
    if isinstance(source, dict) and source.get("medium") not in (None, "direct", "internal"):
        current = session.source or {}
        if (source.get("medium"), source.get("source"), source.get("campaign")) != (
                current.get("medium"), current.get("source"), current.get("campaign")):
            return ev.name in PAGE_EVENTS
    return False


def _apply_session(profile: Profile, ev: Incoming, timeout: float) -> None:
    ctx = ev.context
    session = profile.session
    if ev.ts < (session.last_event_at if session else ev.ts):
        # A late event (offline replay, slow retry) adds to history, not to the visit.
        return
    if _starts_new_session(session, ev, timeout):
        profile.visit_count += 1
        source = ctx.get("source")
        if not isinstance(source, dict) or source.get("medium") == "internal":
            source = {"medium": "direct"}
        session = Session(id=uuid.uuid4().hex[:16], number=profile.visit_count,
                          started_at=ev.ts, last_event_at=ev.ts, source=source,
                          landing_page=_page_ref(ctx))
        profile.session = session
        profile.visit_starts.append(ev.ts)
        del profile.visit_starts[:-MAX_VISIT_STARTS]
        if profile.first_source is None:
            profile.first_source = source
    assert session is not None
    session.last_event_at = max(session.last_event_at, ev.ts)
    session.events += 1
    session.last_event = ev.name
    page = _page_ref(ctx)
    if page is not None:
        session.current_page = page
        if session.landing_page is None:
            session.landing_page = page
    if ev.name in PAGE_EVENTS:
        session.pages_viewed += 1


def _remember(profile: Profile, name: str, ts: float) -> None:
    recent = profile.recent
    if not recent or recent[-1][1] <= ts:
        recent.append((name, ts))
    else:  # a late event: keep the history in time order
        i = len(recent)
        while i > 0 and recent[i - 1][1] > ts:
            i -= 1
        recent.insert(i, (name, ts))
    del recent[:-MAX_RECENT_EVENTS]


def apply_event(profile: Profile, ev: Incoming, *, session_timeout: float,
                protected: frozenset[str] = frozenset()) -> None:
    """Fold ``ev`` into ``profile`` in place."""
    if profile.first_seen == 0.0 or ev.ts < profile.first_seen:
        profile.first_seen = ev.ts
    profile.last_seen = max(profile.last_seen, ev.ts)
    profile.event_count += 1
    if ev.anonymous_id and ev.anonymous_id not in profile.anonymous_ids:
        profile.anonymous_ids.append(ev.anonymous_id)
        del profile.anonymous_ids[:-20]
    _remember(profile, ev.name, ev.ts)
    ctx = ev.context
    if ctx.get("geo"):
        profile.geo = ctx["geo"]
    if ctx.get("device"):
        profile.device = ctx["device"]
    if ctx.get("language"):
        profile.language = ctx["language"]
        profile.locale = ctx.get("locale")
    visit_before = profile.session.id if profile.session else None
    _apply_session(profile, ev, session_timeout)
    if ev.name == "chat_started":
        profile.engagement["in_chat"] = True
    elif ev.name == "chat_closed" or (profile.session and profile.session.id != visit_before):
        profile.engagement.pop("in_chat", None)  # a chat does not outlive its visit
    if ev.name == "purchase":
        _apply_purchase(profile, ev)
    elif ev.name == "refund":
        _apply_refund(profile, ev)
    else:
        _apply_cart(profile, ev)
    ops = _attribute_ops(ev)
    if ops:
        # Sensitive attributes can only be written with the server key.
        apply_attributes(profile.attributes, ops, frozenset() if ev.trusted else protected)


def merge_profiles(into: Profile, other: Profile) -> None:
    """Fold an anonymous profile into an identified one (``other`` is then discarded)."""
    into.first_seen = min(into.first_seen or other.first_seen, other.first_seen or into.first_seen)
    if other.last_seen > into.last_seen:
        into.last_seen = other.last_seen
        into.geo = other.geo or into.geo
        into.device = other.device or into.device
        into.language = other.language or into.language
        into.locale = other.locale or into.locale
    into.visit_count += other.visit_count
    into.event_count += other.event_count
    for anon in other.anonymous_ids:
        if anon not in into.anonymous_ids:
            into.anonymous_ids.append(anon)
    # The more recent visit is the live one; the anonymous cart is what they are buying now.
    if other.session and (into.session is None
                          or other.session.last_event_at > into.session.last_event_at):
        into.session = other.session
    if other.cart.items and (into.cart.updated_at or 0) <= (other.cart.updated_at or 0):
        into.cart = other.cart
    if into.first_source is None or (other.first_seen and other.first_seen < into.first_seen):
        into.first_source = other.first_source or into.first_source
    known = {p.transaction_id for p in into.purchases if p.transaction_id}
    for purchase in other.purchases:
        if purchase.transaction_id and purchase.transaction_id in known:
            continue
        into.purchases.append(purchase)
        into.purchase_count += 1
        into.lifetime_revenue = round(into.lifetime_revenue + purchase.value - purchase.refunded, 2)
        key = purchase.currency or "unknown"
        into.revenue_by_currency[key] = round(
            into.revenue_by_currency.get(key, 0.0) + purchase.value - purchase.refunded, 2)
    into.purchases.sort(key=lambda p: p.at)
    del into.purchases[:-MAX_PURCHASES_KEPT]
    for key, value in other.attributes.items():
        into.attributes.setdefault(key, value)
    into.recent = sorted(into.recent + other.recent, key=lambda r: r[1])[-MAX_RECENT_EVENTS:]
    into.visit_starts = sorted(into.visit_starts + other.visit_starts)[-MAX_VISIT_STARTS:]
    into.merged_from.append(other.visitor_id)
