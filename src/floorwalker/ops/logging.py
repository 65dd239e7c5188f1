"""Structured JSON logs with a request id bound to every line of a request, and no
secrets from query strings in them."""

from __future__ import annotations

import logging
import re
import sys
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
          "error": logging.ERROR}


def configure_logging(level: str, json_logs: bool) -> None:
    """Send structlog and stdlib logging to stderr, as JSON lines unless told otherwise."""
    renderer = (structlog.processors.JSONRenderer() if json_logs
                else structlog.dev.ConsoleRenderer(colors=False))
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_event,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(LEVELS[level]),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=LEVELS[level], stream=sys.stderr, format="%(message)s")
    install_log_redaction()


# A query parameter whose name contains one of these words has its value replaced in
# logs: ?token=fw_adm_... in an access log line is as good as the token.
_SECRET_PARAM = re.compile(
    r"(?P<name>(?:^|[?&;])[^=&;\s\"'#]*?(?:token|key|pass|pwd|secret|hash|auth|session|signature"
    r"|credential)[^=&;\s\"'#]*=)[^&;\s\"'#]*", re.IGNORECASE)
REDACTED = "[redacted]"
# The loggers uvicorn writes request lines (HTTP and WebSocket) to.
SERVER_LOGGERS = ("uvicorn.access", "uvicorn.error")


def redact_secrets(text: str) -> str:
    """``text`` with the values of secret-looking query parameters replaced."""
    if "=" not in text:
        return text
    return _SECRET_PARAM.sub(lambda m: m.group("name") + REDACTED, text)


class RedactSecrets(logging.Filter):
    """Redacts query-string secrets in a stdlib log record (its message and arguments)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_secrets(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_secrets(a) if isinstance(a, str) else a
                                for a in record.args)
        return True


def install_log_redaction() -> None:
    """Put :class:`RedactSecrets` on uvicorn's loggers once (idempotent)."""
    for name in SERVER_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())


def redact_event(_logger: Any, _method: str,
                 event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """A structlog processor: the same redaction for every string in an event."""
    for key, value in event.items():
        if isinstance(value, str):
            event[key] = redact_secrets(value)
    return event


class RequestIdMiddleware:
    """Reads or makes ``X-Request-ID``, binds it to logs, returns it on the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope.get("headers", []):
            if name == b"x-request-id":
                candidate = value.decode("latin-1")[:64]
                if candidate.replace("-", "").isalnum():
                    request_id = candidate
                break
        request_id = request_id or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.bind_contextvars(request_id=request_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
