"""ASGI app factory: builds the services and wires the features, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware

from floorwalker import __version__
from floorwalker import protocol as chat_protocol
from floorwalker.accounts import api as accounts_api
from floorwalker.admin import api as admin_api
from floorwalker.admin import lookups_api
from floorwalker.bus import MemoryBus
from floorwalker.chat import actions as chat_actions
from floorwalker.chat import api as chat_api
from floorwalker.chat import canned_api as chat_canned
from floorwalker.chat import ws as chat_ws
from floorwalker.chat.desk import Desk
from floorwalker.chat.sockets import VisitorSockets
from floorwalker.collect import api as collect_api
from floorwalker.collect.enrich import GeoLocator
from floorwalker.collect.limits import Limits
from floorwalker.collect.normalize import Normalizer
from floorwalker.collect.pipeline import Pipeline
from floorwalker.config import Settings
from floorwalker.console import api as console_api
from floorwalker.console import routes as console_routes
from floorwalker.demo import routes as demo_routes
from floorwalker.engage import actions as engage_actions
from floorwalker.engage import api as engage_api
from floorwalker.engage.webhooks import Webhooks
from floorwalker.errors import ApiError
from floorwalker.live.alerts import Alerts
from floorwalker.live.visitors import LiveVisitors
from floorwalker.mail import api as mail_api
from floorwalker.mail import triggered
from floorwalker.mail.inbound import Inbound
from floorwalker.mail.outbox import Sender
from floorwalker.mail.parts import MailParts
from floorwalker.mail.sink import Mailbox
from floorwalker.mail.smtp import Relay
from floorwalker.mail.tokens import bounce_address
from floorwalker.mail.unread import UnreadReplies
from floorwalker.measure import api as reports_api
from floorwalker.ops import routes as ops_routes
from floorwalker.ops.logging import RequestIdMiddleware, install_log_redaction
from floorwalker.ops.metrics import Metrics
from floorwalker.ops.ratelimit import RateLimiter
from floorwalker.profiles import api as profiles_api
from floorwalker.profiles.retention import RetentionTask
from floorwalker.rules import api as rules_api
from floorwalker.rules import preview_api as rules_preview
from floorwalker.rules.lookups import LookupStore
from floorwalker.rules.output import Fired
from floorwalker.rules.runtime import Rules
from floorwalker.rules.timers import TimerLoop, fire_timers
from floorwalker.services import Services
from floorwalker.store.engine import make_engine
from floorwalker.tenancy.directory import Directory
from floorwalker.widget import routes as widget_routes

log = structlog.get_logger("floorwalker")

_HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
               405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type",
               422: "invalid_request", 429: "rate_limited"}


def build_services(settings: Settings) -> Services:
    """Every long-lived part, not yet started."""
    engine = make_engine(settings.database_url)
    directory = Directory(engine)
    metrics = Metrics()
    lookups = LookupStore(engine)
    rules = Rules(engine, lookups)
    pipeline = Pipeline(
        engine, session_timeout=settings.session_timeout_minutes * 60.0,
        max_batch=settings.commit_max_batch, cache_size=settings.profile_cache_size,
        rules=rules)
    pipeline.observe = metrics.observe_commit
    geo = GeoLocator(settings.geoip_city_db)
    limits = Limits(max_depth=settings.max_property_depth, max_string=settings.max_string_length,
                    max_keys=settings.max_keys_per_object,
                    max_event_bytes=settings.max_event_bytes,
                    max_batch_events=settings.max_batch_events)
    bus = MemoryBus()
    live = LiveVisitors(engine, bus, rules.cache.get, settings.live_window_seconds)
    rules.cache.on_change.append(live.forget)
    desk = Desk(engine, bus, rules.cache.get, rules.presence, live)
    alerts = Alerts(engine, bus, rules.cache.get)
    live.on_change.append(alerts.visitors_changed)
    rules.on_fired.append(alerts.on_fired)
    rules.cache.on_change.append(alerts.invalidate)
    sender = Sender(engine, Relay.from_url(settings.smtp_url) if settings.smtp_url else None,
                    settings.mail_from, lease=settings.mail_lease_seconds,
                    return_path=_return_path(settings))
    return Services(
        settings=settings, engine=engine, directory=directory, pipeline=pipeline,
        normalizer=Normalizer(limits, geo), geo=geo, lookups=lookups,
        metrics=metrics, rules=rules, bus=bus, live=live, desk=desk, alerts=alerts,
        key_limiter=RateLimiter(settings.rate_limit_per_key, settings.rate_limit_burst_seconds),
        ip_limiter=RateLimiter(settings.rate_limit_per_ip, settings.rate_limit_burst_seconds),
        visitor_sockets=VisitorSockets(settings.ws_max_sockets_per_visitor,
                                       settings.ws_max_sockets_per_address),
        mail=sender, mail_parts=MailParts(
            engine=engine, mail_from=settings.mail_from, wake=sender.wake,
            secret=settings.mail_secret, inbound_domain=settings.mail_inbound_domain,
            public_url=settings.base_url))


def _error(request: Request, exc: ApiError) -> JSONResponse:
    svc = getattr(request.app.state, "services", None)
    if svc is not None:
        svc.metrics.rejected.labels(exc.code).inc()
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> Response:
        return _error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        details = [{"path": "$." + ".".join(str(p) for p in err.get("loc", ())),
                    "problem": err.get("msg", "")} for err in exc.errors()]
        first = details[0] if details else {"path": "$", "problem": "invalid"}
        return _error(request, ApiError(422, "invalid_request",
                                        f"{first['path']}: {first['problem']}", details))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        return _error(request, ApiError(exc.status_code, code, str(exc.detail),
                                        headers=dict(exc.headers or {})))

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, exc: DBAPIError) -> Response:
        # SQLSTATE class 22 (data exception): PostgreSQL refused a value the client sent,
        # e.g. a NUL character or a string longer than its column. SQLite stores both.
        if str(getattr(exc.orig, "sqlstate", None) or "").startswith("22"):
            return _error(request, ApiError(
                422, "unstorable_value",
                "A value in the request cannot be stored: it contains a NUL character or is "
                "longer than allowed. Remove the character or shorten the value."))
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", path=request.url.path)
        return _error(request, ApiError(500, "internal_error",
                                        "Something broke on our side; it has been logged."))


ERROR_SCHEMA: dict[str, Any] = {
    "type": "object", "required": ["error"],
    "properties": {"error": {
        "type": "object", "required": ["code", "message", "details"],
        "properties": {"code": {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"},
                       "message": {"type": "string"},
                       "details": {"type": "array", "items": {}}}},
        # The same code and message again, where Segment's libraries look for them.
        "code": {"type": "string"}, "message": {"type": "string"}}}


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the msgspec-made request schemas of the tracking API."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                         description=app.description)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    # Every error has our one shape (not FastAPI's {"detail": ...}).
    components["Error"] = ERROR_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    error_response = {"description": "An error with a stable code",
                      "content": {"application/json": {
                          "schema": {"$ref": "#/components/schemas/Error"}}}}
    for path in schema.get("paths", {}).values():
        for op in path.values():
            if not isinstance(op, dict):
                continue
            if "x-components" in op:
                components.update(op.pop("x-components"))
            responses = op.setdefault("responses", {})
            responses.pop("422", None)
            responses["4XX"] = error_response
    app.openapi_schema = schema
    return schema


def _return_path(settings: Settings) -> Callable[[str], str] | None:
    """With an inbound domain, each e-mail's bounces come back to it, naming the e-mail."""
    domain, secret = settings.mail_inbound_domain, settings.mail_secret
    if not domain or not secret:
        return None
    return lambda email_id: bounce_address(secret, domain, email_id)


async def _demo_mailbox(port: int) -> Mailbox:
    """The demo's SMTP mailbox on its port, or any free one when that is taken."""
    box = Mailbox(port=port)
    try:
        await box.start()
    except OSError:
        box = Mailbox(port=0)
        await box.start()
    log.info("demo mailbox listening", port=box.port)
    return box


async def _inbound(svc: Services, settings: Settings) -> Inbound:
    """The SMTP server for replies by e-mail: on its port, or in the demo on the port
    after the mailbox's (any free one when that is taken)."""
    inbound = Inbound(svc, svc.mail_parts, max_bytes=settings.mail_inbound_max_bytes)
    port = settings.mail_inbound_port or (settings.demo_mail_port + 1
                                          if settings.demo_mail_port else 0)
    try:
        await inbound.start(settings.mail_inbound_host, port)
    except OSError:
        if settings.mail_inbound_port:
            raise
        await inbound.start(settings.mail_inbound_host, 0)
    return inbound


def create_app(settings: Settings | None = None) -> FastAPI:
    """The Floorwalker ASGI application."""
    settings = settings or Settings.from_env()
    # Also when uvicorn is started with its own logging config (not `floorwalker serve`).
    install_log_redaction()
    svc = build_services(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await svc.pipeline.start()
        retention = RetentionTask(svc.engine, settings.retention_days)
        retention.start()
        webhooks = Webhooks()
        svc.rules.on_fired.append(webhooks.on_fired)

        svc.rules.on_fired.append(engage_actions.decision_pusher(svc.bus))
        # A scenario's e-mail is queued with its decision; the sender hears of it after.
        svc.rules.in_transaction.append(triggered.queuer(svc.mail_parts))

        async def wake_for_emails(fired: list[Fired]) -> None:
            if any(item.action.type == "email" for item in fired):
                await svc.mail.wake()
        svc.rules.on_fired.append(wake_for_emails)
        bus = svc.bus
        if isinstance(bus, MemoryBus):
            svc.rules.is_live = lambda ws, anon: bus.subscribers(
                chat_protocol.browser_channel(ws, anon)) > 0
        if settings.demo:
            await demo_routes.staff_demo_agents(svc)

        svc.pipeline.listeners.append(partial(chat_actions.record_ratings, svc))
        svc.pipeline.listeners.append(svc.live.committed)  # last: the others are quicker
        timer_loop = TimerLoop(svc.engine, lambda rows: fire_timers(svc.rules, svc.pipeline, rows))
        app.state.timers = timer_loop
        if settings.timers_enabled:
            timer_loop.start()
        svc.live.start()
        if settings.demo and settings.smtp_url is None and settings.demo_mail_port:
            svc.mailbox = await _demo_mailbox(settings.demo_mail_port)
            svc.mail.relay = Relay.from_url(svc.mailbox.url)
        svc.mail.start()
        unread = UnreadReplies(
            svc.mail_parts, every=settings.mail_scan_seconds,
            present=lambda ws, anon: anon is not None and bus.subscribers(
                chat_protocol.browser_channel(ws, anon)) > 0)
        app.state.unread_replies = unread
        if settings.timers_enabled:
            unread.start()
        if settings.mail_inbound_domain and settings.mail_secret and (
                settings.mail_inbound_port or settings.demo):
            svc.inbound = await _inbound(svc, settings)
        try:
            yield
        finally:
            if svc.inbound is not None:
                await svc.inbound.stop()
            await unread.stop()
            await svc.mail.stop()
            if svc.mailbox is not None:
                await svc.mailbox.stop()
            await svc.live.stop()
            await timer_loop.stop()
            await retention.stop()
            await webhooks.close()
            await svc.pipeline.stop()
            await svc.engine.dispose()

    app = FastAPI(title="Floorwalker", version=__version__, lifespan=lifespan,
                  description="Proactive engagement server: Segment-compatible tracking API, "
                              "visitor profiles and the admin API.")
    app.state.services = svc
    _install_errors(app)
    app.include_router(collect_api.router)
    app.include_router(admin_api.router)
    app.include_router(profiles_api.router)
    app.include_router(lookups_api.router)
    app.include_router(rules_api.router)
    app.include_router(engage_api.router)
    app.include_router(chat_ws.router)
    app.include_router(accounts_api.router)
    app.include_router(widget_routes.router)
    app.include_router(console_routes.router)
    app.include_router(console_api.router)
    app.include_router(reports_api.router)
    app.include_router(mail_api.router)
    app.include_router(mail_api.public)
    app.include_router(chat_api.router)
    app.include_router(chat_canned.router)
    app.include_router(rules_preview.router)
    app.include_router(demo_routes.router)
    app.include_router(ops_routes.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    # Browsers on customer sites post to /v1 cross-origin; credentials are the write key.
    app.add_middleware(CORSMiddleware, allow_origins=["*"],
                       allow_methods=["GET", "POST", "OPTIONS"],
                       allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                       expose_headers=["Retry-After", "X-Request-ID"], max_age=86400)
    app.add_middleware(RequestIdMiddleware)
    return app
