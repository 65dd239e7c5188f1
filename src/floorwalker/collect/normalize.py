"""From a decoded Segment call to an :class:`Incoming` event: checks, identity trust, enrichment."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from floorwalker.collect import model
from floorwalker.collect.enrich import (
    GeoLocator,
    classify_source,
    correct_timestamp,
    parse_user_agent,
    resolve_language,
)
from floorwalker.collect.limits import Limits, check_document
from floorwalker.collect.urls import drop_unsafe_urls
from floorwalker.errors import ApiError
from floorwalker.events import Incoming
from floorwalker.profiles.ids import MAX_ID_LENGTH, is_placeholder
from floorwalker.tenancy.directory import SiteKey
from floorwalker.tenancy.keys import user_hash_matches
from floorwalker.texts.i18n import SUPPORTED_UI_LANGUAGES

_PAGE_KEYS = ("url", "path", "title", "referrer", "search")
_SOURCE_HINTS = ("utm_", "gclid", "gbraid", "wbraid", "msclkid", "dclid", "fbclid", "ttclid")


@dataclass(slots=True)
class RequestInfo:
    """What the HTTP request tells us beyond the body."""

    ip: str | None
    user_agent: str | None
    accept_language: str | None
    received_at: datetime


@dataclass(slots=True)
class Normalized:
    """The events of one request, plus warnings for the response."""

    events: list[Incoming]
    warnings: list[dict[str, Any]]


def _id(value: str | int | None, field: str, path: str) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    if is_placeholder(text):
        raise ApiError(422, "invalid_id",
                       f"{path}.{field} is a placeholder ({text!r}), not an id; leave it out.",
                       [{"path": f"{path}.{field}", "problem": "placeholder id"}])
    if len(text) > MAX_ID_LENGTH:
        raise ApiError(422, "invalid_id", f"{path}.{field} is longer than {MAX_ID_LENGTH}.",
                       [{"path": f"{path}.{field}", "problem": "too long"}])
    if "\x00" in text:  # PostgreSQL text cannot hold it; no real id contains one
        raise ApiError(422, "invalid_id", f"{path}.{field} contains a NUL character.",
                       [{"path": f"{path}.{field}", "problem": "NUL character"}])
    return text


def _message_id(value: str | None, path: str) -> str | None:
    if not value:
        return None
    if len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise ApiError(422, "invalid_message_id",
                       f"{path}.messageId must be at most {MAX_ID_LENGTH} characters without "
                       "NUL; leave it out to have one made for you.",
                       [{"path": f"{path}.messageId", "problem": "too long or NUL character"}])
    return value


def _flatten_ecommerce(props: dict[str, Any]) -> dict[str, Any]:
    """GTM's ``{ecommerce: {...}}`` becomes top-level GA4 parameters; null is dropped."""
    if "ecommerce" not in props:
        return props
    ecommerce = props.pop("ecommerce")
    if isinstance(ecommerce, dict):
        for key, value in ecommerce.items():
            props.setdefault(key, value)
    return props


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class Normalizer:
    """Turns decoded calls into enriched events; one per server, shared by requests."""

    def __init__(self, limits: Limits, geo: GeoLocator) -> None:
        self.limits = limits
        self.geo = geo

    def normalize(self, calls: list[model.Call], site: SiteKey, req: RequestInfo,
                  batch_context: dict[str, Any] | None = None,
                  batch_sent_at: datetime | None = None) -> Normalized:
        """Validate and enrich every call; the first problem rejects the request."""
        if len(calls) > self.limits.max_batch_events:
            raise ApiError(413, "batch_too_large",
                           f"A batch holds at most {self.limits.max_batch_events} events.")
        if not calls:
            raise ApiError(422, "empty_batch", "The batch holds no events.")
        out: list[Incoming] = []
        warnings: list[dict[str, Any]] = []
        geo_cache: dict[str | None, dict[str, Any]] = {}
        for i, call in enumerate(calls):
            path = f"$.batch[{i}]" if batch_context is not None or len(calls) > 1 else "$"
            out.append(self._one(call, site, req, path, batch_context, batch_sent_at,
                                 warnings, geo_cache))
        return Normalized(out, warnings)

    def _one(self, call: model.Call, site: SiteKey, req: RequestInfo, path: str,
             batch_context: dict[str, Any] | None, batch_sent_at: datetime | None,
             warnings: list[dict[str, Any]],
             geo_cache: dict[str | None, dict[str, Any]]) -> Incoming:
        limits = self.limits
        ctx_in: dict[str, Any] = dict(batch_context or {})
        if call.context:
            ctx_in.update(call.context)
        size = check_document(ctx_in, limits, f"{path}.context")
        message_id = _message_id(call.messageId, path)
        anon = _id(call.anonymousId, "anonymousId", path)
        user = _id(call.userId, "userId", path)
        previous: str | None = None
        traits: dict[str, Any] | None = None
        props: dict[str, Any]
        if isinstance(call, model.Track):
            name = call.event.strip()
            if not name or len(name) > limits.max_name or "\x00" in name:
                raise ApiError(422, "invalid_event_name",
                               f"{path}.event must be 1-{limits.max_name} characters, "
                               "without NUL.",
                               [{"path": f"{path}.event", "problem": "bad length"}])
            props = dict(call.properties or {})
        elif isinstance(call, model.PageCall):
            name = "page_view"
            props = dict(call.properties or {})
            if call.name:
                props.setdefault("page_name", call.name)
            if call.category:
                props.setdefault("page_category", call.category)
        elif isinstance(call, model.Screen):
            name = "screen_view"
            props = dict(call.properties or {})
            if call.name:
                props.setdefault("screen_name", call.name)
        elif isinstance(call, model.Identify):
            name = "identify"
            props = {}
            # RudderStack's libraries send identify traits in context.traits, Segment's
            # at the top: both count, the top-level ones win (context is already checked).
            in_context = ctx_in.get("traits")
            traits = {**(in_context if isinstance(in_context, dict) else {}),
                      **(call.traits or {})}
            size += check_document(call.traits or {}, limits, f"{path}.traits")
        elif isinstance(call, model.Alias):
            name = "alias"
            props = {}
            previous = _id(call.previousId, "previousId", path)
        else:
            name = "group"
            props = {"group_id": str(call.groupId)}
            if call.traits:
                props["group_traits"] = dict(call.traits)
        size += check_document(props, limits, f"{path}.properties")
        warnings.extend(drop_unsafe_urls(props, ctx_in, path))
        if size > limits.max_event_bytes:
            raise ApiError(413, "event_too_large",
                           f"{path} is larger than {limits.max_event_bytes} bytes.")
        props = _flatten_ecommerce(props)

        trusted = site.trusted
        given_hash = ctx_in.pop("user_hash", None)
        if isinstance(call, model.Alias) and not trusted and not isinstance(given_hash, str):
            raise ApiError(403, "identity_unverified",
                           f"{path}: alias needs the server key or context.user_hash.",
                           [{"path": f"{path}.context.user_hash"}])
        if user is not None and not trusted:
            if isinstance(given_hash, str) and given_hash:
                if not user_hash_matches(site.identity_secret, user, given_hash):
                    raise ApiError(403, "invalid_user_hash",
                                   f"{path}.context.user_hash does not match userId; compute "
                                   "it as hex HMAC-SHA256(identity secret, userId) on your "
                                   "server.", [{"path": f"{path}.context.user_hash"}])
            else:
                if anon is None:
                    raise ApiError(403, "identity_unverified",
                                   f"{path} has a userId but no context.user_hash and no "
                                   "anonymousId; a browser must prove the userId.",
                                   [{"path": f"{path}.userId"}])
                warnings.append({"code": "unverified_user_id", "path": f"{path}.userId",
                                 "message": "userId ignored without context.user_hash"})
                ctx_in["claimed_user_id"] = user
                user = None
        if anon is None and user is None:
            raise ApiError(422, "missing_identity",
                           f"{path} needs an anonymousId or a userId.",
                           [{"path": path, "problem": "anonymousId or userId required"}])
        if isinstance(call, model.Alias) and user is None:
            raise ApiError(422, "missing_identity", f"{path}.userId is required for alias.",
                           [{"path": f"{path}.userId"}])

        received = req.received_at
        sent_at = call.sentAt or batch_sent_at
        ts = correct_timestamp(call.timestamp, sent_at, received).timestamp()
        context = self._enrich(ctx_in, props, req, trusted, geo_cache)
        return Incoming(
            type=call.__struct_config__.tag or "track",  # type: ignore[arg-type]
            name=name, message_id=message_id or f"srv-{uuid.uuid4().hex}",
            workspace_id=site.workspace_id, site_id=site.site_id,
            anonymous_id=anon, user_id=user, previous_id=previous,
            properties=props, traits=traits, ts=ts, received_at=received.timestamp(),
            context=context, trusted=trusted)

    def _enrich(self, ctx: dict[str, Any], props: dict[str, Any], req: RequestInfo,
                trusted: bool, geo_cache: dict[str | None, dict[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        page_in = ctx.get("page")
        page: dict[str, Any] = {}
        if isinstance(page_in, dict):
            page = {k: page_in[k] for k in _PAGE_KEYS if isinstance(page_in.get(k), str)}
        for key in _PAGE_KEYS:  # page() calls from server libraries carry them as properties
            if key not in page and isinstance(props.get(key), str):
                page[key] = props[key]
        if "url" not in page and isinstance(props.get("page_location"), str):
            page["url"] = props["page_location"]
        if page:
            out["page"] = page
        ip = ctx.get("ip") if trusted and isinstance(ctx.get("ip"), str) else req.ip
        if ip:
            out["ip"] = ip
            geo = geo_cache.get(ip)
            if geo is None:
                located = self.geo.locate(ip)
                geo = {k: v for k, v in msgspec.structs.asdict(located).items() if v is not None}
                geo_cache[ip] = geo
            if geo:
                out["geo"] = geo
        ua = _str_or_none(ctx.get("userAgent")) or req.user_agent
        if ua:
            out["user_agent"] = ua[:512]
            device = parse_user_agent(ua)
            out["device"] = {k: v for k, v in msgspec.structs.asdict(device).items()
                             if v is not None}
        lang = resolve_language(_str_or_none(ctx.get("locale")), req.accept_language)
        page_ctx = ctx.get("page")
        shown = resolve_language(_str_or_none(page_ctx.get("lang")), None) \
            if isinstance(page_ctx, dict) else None
        if shown is not None and shown.code in SUPPORTED_UI_LANGUAGES \
                and (lang is None or lang.code != shown.code):
            # The page's language (<html lang>) wins over the browser's when we speak it:
            # an English browser on a French shop reads French, and gets French messages.
            lang = shown
        if lang is not None:
            out["language"] = lang.code
            out["locale"] = lang.locale
        tz = _str_or_none(ctx.get("timezone"))
        if tz:
            out["timezone"] = tz[:64]
        campaign = ctx.get("campaign")
        campaign = {k: str(v) for k, v in campaign.items()
                    if isinstance(v, str | int)} if isinstance(campaign, dict) else None
        if campaign:
            out["campaign"] = campaign
        url = page.get("url")
        referrer = page.get("referrer")
        if referrer or campaign or (url and "?" in url and any(h in url for h in _SOURCE_HINTS)):
            out["source"] = msgspec.structs.asdict(classify_source(url, referrer, campaign))
            out["source"] = {k: v for k, v in out["source"].items() if v is not None}
        for key in ("library", "claimed_user_id", "traits"):
            if key in ctx:
                out[key] = ctx[key]
        return out
