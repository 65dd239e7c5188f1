"""``POST /api/scenarios/preview``: a scenario's messages as visitors of each language see them.

The console's scenario editor shows the rendered text of every language version before
the scenario is saved. Rendering goes through the same sandboxed templates and the same
names (:func:`floorwalker.rules.render.variables`) as a real decision, on a sample
visitor and event the admin may change; a template that fails is reported, not hidden.
"""

from __future__ import annotations

import re
import time
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, Request

from floorwalker.auth.caller import Caller
from floorwalker.auth.principal import admin_principal, bearer_scheme
from floorwalker.errors import ApiError
from floorwalker.events import Incoming
from floorwalker.ops.http import read_body
from floorwalker.profiles.model import Cart, CartItem, Profile, Session
from floorwalker.rules import store, validate
from floorwalker.rules.context import EvalContext
from floorwalker.rules.model import Action, Scenario
from floorwalker.rules.render import RENDERER, render_action, variables
from floorwalker.services import services
from floorwalker.texts.i18n import choose_language
from floorwalker.texts.templates import TemplateError

router = APIRouter(prefix="/api", tags=["rules"], dependencies=[Depends(bearer_scheme)])
Admin = Annotated[Caller, Depends(admin_principal)]
MAX_BODY_BYTES = 256 * 1024
MAX_TABLES = 8  # lookup tables one preview may read
_TABLE_REF = re.compile(r"\blookup\s*\.\s*([a-z][a-z0-9_]{0,63})")
TEXT_FIELDS = ("text", "title", "button")


class SampleItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A cart line of the sample visitor."""

    item_id: str
    item_name: str | None = None
    price: float = 0.0
    quantity: float = 1.0


class SampleVisitor(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Who the preview is rendered for (every field optional; unknown ones stay unknown)."""

    first_name: str | None = None
    name: str | None = None
    email: str | None = None
    city: str | None = None
    country: str | None = None
    customer: bool = False
    visit_count: int = 1
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    cart_value: float | None = None
    cart_currency: str | None = None
    cart_items: list[SampleItem] = msgspec.field(default_factory=list)
    pages_viewed: int = 1
    time_on_site: float = 0.0
    source: dict[str, Any] = msgspec.field(default_factory=dict)


class SampleEvent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The event that triggered the scenario in the preview."""

    name: str = "page_view"
    properties: dict[str, Any] = msgspec.field(default_factory=dict)


class PreviewIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A scenario definition (``scenario``) or a saved one (``key``), and a sample."""

    scenario: Any = None
    key: str | None = None
    visitor: SampleVisitor = msgspec.field(default_factory=SampleVisitor)
    event: SampleEvent | None = None


def _profile(workspace_id: str, sample: SampleVisitor, language: str, now: float) -> Profile:
    attributes = dict(sample.attributes)
    for field in ("first_name", "name", "email"):
        value = getattr(sample, field)
        if value is not None:
            attributes[field] = value
    items = [CartItem(item_id=i.item_id, item_name=i.item_name, price=i.price,
                      quantity=i.quantity) for i in sample.cart_items]
    value = sample.cart_value if sample.cart_value is not None else sum(
        i.price * i.quantity for i in items)
    geo = {k: v for k, v in (("city", sample.city), ("country", sample.country)) if v}
    session = Session(id="preview", number=sample.visit_count,
                      started_at=now - sample.time_on_site, last_event_at=now,
                      pages_viewed=sample.pages_viewed, source=sample.source or None)
    return Profile(visitor_id="preview", workspace_id=workspace_id, visit_count=sample.visit_count,
                   language=language, geo=geo or None, attributes=attributes,
                   purchase_count=1 if sample.customer else 0, session=session,
                   cart=Cart(items=items, value=value, currency=sample.cart_currency))


def _event(workspace_id: str, sample: SampleEvent | None, now: float) -> Incoming | None:
    if sample is None:
        return None
    return Incoming(type="track", name=sample.name, message_id="preview",
                    workspace_id=workspace_id, site_id="preview", anonymous_id="preview",
                    user_id=None, properties=dict(sample.properties), ts=now, received_at=now,
                    context={})


def _languages(action: Action, default: str) -> list[str]:
    seen: dict[str, None] = {}
    for field in TEXT_FIELDS:
        for key in getattr(action, field):
            seen.setdefault(key, None)
    return list(seen) or [default]


def _sources(action: Action) -> list[str]:
    found = [s for f in TEXT_FIELDS for s in getattr(action, f).values()]
    return found + [s for s in (action.coupon, action.url) if s]


def _render(action: Action, ctx_for: Any, default: str) -> dict[str, Any]:
    """Per language: what the widget would get, and any template that failed."""
    out: dict[str, Any] = {"type": action.type, "languages": {}}
    for lang in _languages(action, default):
        ctx = ctx_for(lang)
        payload = render_action(action, ctx, default)
        names = variables(ctx)
        problems: list[dict[str, str]] = []
        for field in TEXT_FIELDS:
            versions = getattr(action, field)
            if not versions:
                continue
            chosen, source = choose_language(versions, lang, None, default)
            try:
                RENDERER.render(source, names, strict=True)
            except TemplateError as exc:
                problems.append({"path": f"$.{field}.{chosen}", "problem": str(exc)})
        payload.pop("language", None)
        out["languages"][lang] = {**payload, "problems": problems}
    return out


async def _scenario(request: Request, who: Caller, body: PreviewIn) -> Scenario:
    assert who.workspace_id
    if body.scenario is not None:
        value: Scenario = validate.decode_checked(
            msgspec.to_builtins(body.scenario), Scenario, validate.check_scenario,
            "invalid_scenario")
        return value
    if body.key:
        async with services(request).engine.connect() as conn:
            _id, saved = await store.get_def(conn, "scenario", who.workspace_id, body.key,
                                             Scenario)
        return saved  # type: ignore[no-any-return]
    raise ApiError(422, "invalid_request", "Send a scenario definition or the key of one.",
                   [{"path": "$", "problem": "send scenario or key"}])


@router.post("/scenarios/preview", summary="Render a scenario's messages in every language",
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": {"type": "object", "properties": {
                     "scenario": {"type": "object"}, "key": {"type": "string"},
                     "visitor": {"type": "object"}, "event": {"type": "object"}}}}}}})
async def preview(request: Request, who: Admin) -> Any:
    """The action, variants and fallback rendered per language version, for a sample
    visitor (default: an unknown first-time visitor) and event."""
    assert who.workspace_id
    workspace_id = who.workspace_id
    body: PreviewIn = validate.decode_checked(await read_body(request, MAX_BODY_BYTES),
                                              PreviewIn, lambda _v: [], "invalid_request")
    sc = await _scenario(request, who, body)
    actions: list[tuple[str, Action]] = []
    if sc.action is not None:
        actions.append(("action", sc.action))
    actions += [(f"variants[{i}]", v.action) for i, v in enumerate(sc.variants)]
    if sc.fallback is not None:
        actions.append(("fallback", sc.fallback))
    names = {m for _w, a in actions for s in _sources(a) for m in _TABLE_REF.findall(s)}
    svc = services(request)
    lookups = {name: await svc.lookups.table(workspace_id, name)
               for name in sorted(names)[:MAX_TABLES]}
    now = time.time()
    event = _event(workspace_id, body.event, now)

    def ctx_for(lang: str) -> EvalContext:
        return EvalContext(profile=_profile(workspace_id, body.visitor, lang, now), now=now,
                           event=event, lookups=lookups)

    return {"key": sc.key, "default_language": sc.default_language,
            "actions": [{"where": where, **_render(action, ctx_for, sc.default_language)}
                        for where, action in actions]}
