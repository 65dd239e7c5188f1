"""Turning a scenario's action into what the widget shows: text only, no rules, no secrets."""

from __future__ import annotations

from typing import Any

from floorwalker.rules.context import EvalContext
from floorwalker.rules.model import Action
from floorwalker.texts.i18n import choose_language
from floorwalker.texts.templates import TemplateRenderer

RENDERER = TemplateRenderer()


def variables(ctx: EvalContext) -> dict[str, Any]:
    """The names a template can use (see docs/scenarios.md)."""
    p = ctx.profile
    attrs = p.attributes
    name = attrs.get("name") if isinstance(attrs.get("name"), str) else None
    first = attrs.get("first_name") or (name.split()[0] if name else None)
    session = p.session
    event: dict[str, Any] = {}
    if ctx.event is not None:
        event = dict(ctx.event.properties)
        event["name"] = ctx.event.name
        items = event.get("items")
        if "item_id" not in event and isinstance(items, list) and items \
                and isinstance(items[0], dict) and "item_id" in items[0]:
            # GA4 puts the product in items[0]; conditions read it the same way.
            event["item_id"] = items[0]["item_id"]
    cart = {"value": p.cart.value, "currency": p.cart.currency,
            "item_count": sum(i.quantity for i in p.cart.items),
            "items": [{"item_id": i.item_id, "item_name": i.item_name, "price": i.price,
                       "quantity": i.quantity} for i in p.cart.items]}
    visitor = {
        "first_name": first, "name": name, "email": attrs.get("email"),
        "city": (p.geo or {}).get("city"), "country": (p.geo or {}).get("country"),
        "language": p.language, "customer": p.is_customer, "visit_count": p.visit_count,
        "attributes": attrs, "cart": cart,
    }
    return {
        # Unknown values are left out, so `| default("there")` applies to them.
        "visitor": {k: v for k, v in visitor.items() if v is not None},
        "cart": {k: v for k, v in cart.items() if v is not None},
        "event": event,
        "session": {"pages_viewed": session.pages_viewed if session else 0,
                    "time_on_site": session.time_on_site if session else 0,
                    "source": (session.source or {}) if session else {}},
        "lookup": ctx.lookups,
    }


def _text(versions: dict[str, str], ctx: EvalContext, default: str,
          names: dict[str, Any]) -> tuple[str | None, str | None]:
    if not versions:
        return None, None
    lang, source = choose_language(versions, ctx.profile.language, ctx.profile.locale, default)
    return lang, RENDERER.render_safe(source, names, fallback="", language=lang)


def render_action(action: Action, ctx: EvalContext, default_language: str) -> dict[str, Any]:
    """The payload for the browser (or the agents): rendered texts and display fields only."""
    names = variables(ctx)
    lang, text = _text(action.text, ctx, default_language, names)
    payload: dict[str, Any] = {"type": action.type, "language": lang or default_language}
    if text is not None:
        payload["text"] = text
    for key in ("title", "button"):
        _lang, value = _text(getattr(action, key), ctx, default_language, names)
        if value is not None:
            payload[key] = value
    if action.coupon:
        payload["coupon"] = RENDERER.render_safe(action.coupon, names, fallback="")
    for key in ("image_url", "phone", "agent_name"):
        value = getattr(action, key)
        if value:
            payload[key] = value
    if action.url and action.type != "webhook":
        # A link may name the right FAQ for the event ("#payment-{{ event.payment_method }}").
        payload["url"] = RENDERER.render_safe(action.url, names, fallback=action.url)
    if action.type in ("chat_invitation", "popup", "open_chat"):
        payload["inline_reply"] = action.inline_reply
    if action.type == "notify_agents":
        payload["agents"] = list(action.agents)
        if action.department:
            payload["department"] = action.department
    return payload
