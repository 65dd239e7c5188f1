"""Typed settings read from ``FLOORWALKER_*`` environment variables; bad values fail loudly.

Every setting is documented in docs/operations.md (a test checks it). A setting may
also be given as ``FLOORWALKER_<NAME>_FILE`` naming a file that holds the value, for
secrets mounted by an orchestrator.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path

PREFIX = "FLOORWALKER_"


class SettingsError(ValueError):
    """A setting has a value we cannot use."""


def _raw(env: Mapping[str, str], name: str) -> str | None:
    key = PREFIX + name
    if key in env:
        return env[key]
    file_key = key + "_FILE"
    if file_key in env:
        path = Path(env[file_key])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{file_key}: cannot read {path}: {exc}") from exc
    return None


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = _raw(env, name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be >= {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = _raw(env, name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{PREFIX}{name} must be a number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{PREFIX}{name} must be >= {minimum}, got {value}")
    return value


def _str(env: Mapping[str, str], name: str, default: str) -> str:
    raw = _raw(env, name)
    return default if raw is None or raw == "" else raw


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = _raw(env, name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{PREFIX}{name} must be true or false, got {raw!r}")


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = _raw(env, name)
    if not raw:
        return ()
    return tuple(part.strip() for part in raw.split(",") if part.strip())


DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./floorwalker.db"


def _public_url(raw: str | None) -> str | None:
    if raw is not None and not raw.startswith(("https://", "http://")):
        raise SettingsError(f"{PREFIX}PUBLIC_URL must be an http(s):// URL, got {raw!r}")
    return raw


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Everything the server can be told, with its defaults."""

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "info"
    log_json: bool = True
    geoip_city_db: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    max_body_bytes: int = 512 * 1024
    max_lookup_bytes: int = 64 * 1024 * 1024
    max_event_bytes: int = 32 * 1024
    max_batch_events: int = 500
    max_property_depth: int = 8
    max_string_length: int = 8192
    max_keys_per_object: int = 256
    rate_limit_per_key: float = 2000.0
    rate_limit_per_ip: float = 200.0
    rate_limit_burst_seconds: float = 5.0
    retention_days: int = 0
    session_timeout_minutes: int = 30
    commit_max_batch: int = 2000
    profile_cache_size: int = 50_000
    enable_noop: bool = False
    timers_enabled: bool = True
    demo: bool = False
    ws_heartbeat_seconds: float = 25.0
    ws_session_check_seconds: float = 60.0
    ws_max_sockets_per_visitor: int = 10
    ws_max_sockets_per_address: int = 50
    chat_new_conversations_per_hour: int = 5
    secure_cookies: bool = False
    live_window_seconds: float = 900.0
    # E-mail (docs/email.md): the relay, the sender, and how often unread replies are sought.
    smtp_url: str | None = None
    mail_from: str = "no-reply@localhost"
    mail_inbound_domain: str | None = None
    mail_secret: str | None = None
    mail_scan_seconds: float = 5.0
    mail_inbound_host: str = "127.0.0.1"
    mail_inbound_port: int = 0
    mail_inbound_max_bytes: int = 10 * 1024 * 1024
    mail_lease_seconds: float = 120.0
    # How browsers and mail clients reach this server (unsubscribe links in e-mails).
    public_url: str | None = None
    demo_mail_port: int = 8025

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Read settings from ``env`` (default: the process environment)."""
        e = os.environ if env is None else env
        geo = _raw(e, "GEOIP_CITY_DB") or None
        log_level = _str(e, "LOG_LEVEL", "info").lower()
        if log_level not in {"debug", "info", "warning", "error"}:
            raise SettingsError(
                f"{PREFIX}LOG_LEVEL must be debug, info, warning or error, got {log_level!r}"
            )
        url = _str(e, "DATABASE_URL", DEFAULT_DATABASE_URL)
        if not (url.startswith("sqlite") or url.startswith("postgresql")):
            raise SettingsError(
                f"{PREFIX}DATABASE_URL must be a sqlite+aiosqlite:// or "
                f"postgresql+asyncpg:// URL, got {url.split(':', 1)[0]!r}"
            )
        smtp = _raw(e, "SMTP_URL") or None
        if smtp is not None and not smtp.startswith(("smtp://", "smtps://")):
            raise SettingsError(f"{PREFIX}SMTP_URL must be an smtp:// or smtps:// URL, got "
                                f"{smtp.split(':', 1)[0]!r}")
        mail_from = _str(e, "MAIL_FROM", "no-reply@localhost")
        if "@" not in mail_from or any(c in mail_from for c in " <>\r\n"):
            raise SettingsError(f"{PREFIX}MAIL_FROM must be a plain address (name@domain), "
                                f"got {mail_from!r}")
        inbound = _raw(e, "MAIL_INBOUND_DOMAIN") or None
        secret = _raw(e, "MAIL_SECRET") or None
        if inbound is not None and (secret is None or len(secret) < 16):
            raise SettingsError(f"{PREFIX}MAIL_INBOUND_DOMAIN needs {PREFIX}MAIL_SECRET (at "
                                "least 16 characters): it signs the reply addresses")
        return cls(
            database_url=url,
            host=_str(e, "HOST", "127.0.0.1"),
            port=_int(e, "PORT", 8000, minimum=1),
            log_level=log_level,
            log_json=_bool(e, "LOG_JSON", True),
            geoip_city_db=geo,
            trusted_proxies=_list(e, "TRUSTED_PROXIES"),
            max_body_bytes=_int(e, "MAX_BODY_BYTES", 512 * 1024, minimum=1024),
            max_lookup_bytes=_int(e, "MAX_LOOKUP_BYTES", 64 * 1024 * 1024, minimum=1024),
            max_event_bytes=_int(e, "MAX_EVENT_BYTES", 32 * 1024, minimum=256),
            max_batch_events=_int(e, "MAX_BATCH_EVENTS", 500, minimum=1),
            max_property_depth=_int(e, "MAX_PROPERTY_DEPTH", 8, minimum=1),
            max_string_length=_int(e, "MAX_STRING_LENGTH", 8192, minimum=16),
            max_keys_per_object=_int(e, "MAX_KEYS_PER_OBJECT", 256, minimum=1),
            rate_limit_per_key=_float(e, "RATE_LIMIT_PER_KEY", 2000.0),
            rate_limit_per_ip=_float(e, "RATE_LIMIT_PER_IP", 200.0),
            rate_limit_burst_seconds=_float(e, "RATE_LIMIT_BURST_SECONDS", 5.0, minimum=0.1),
            retention_days=_int(e, "RETENTION_DAYS", 0),
            session_timeout_minutes=_int(e, "SESSION_TIMEOUT_MINUTES", 30, minimum=1),
            commit_max_batch=_int(e, "COMMIT_MAX_BATCH", 2000, minimum=1),
            profile_cache_size=_int(e, "PROFILE_CACHE_SIZE", 50_000, minimum=0),
            enable_noop=_bool(e, "ENABLE_NOOP", False),
            timers_enabled=_bool(e, "TIMERS_ENABLED", True),
            demo=_bool(e, "DEMO", False),
            ws_heartbeat_seconds=_float(e, "WS_HEARTBEAT_SECONDS", 25.0, minimum=1.0),
            ws_session_check_seconds=_float(e, "WS_SESSION_CHECK_SECONDS", 60.0, minimum=0.1),
            ws_max_sockets_per_visitor=_int(e, "WS_MAX_SOCKETS_PER_VISITOR", 10),
            ws_max_sockets_per_address=_int(e, "WS_MAX_SOCKETS_PER_ADDRESS", 50),
            chat_new_conversations_per_hour=_int(e, "CHAT_NEW_CONVERSATIONS_PER_HOUR", 5),
            secure_cookies=_bool(e, "SECURE_COOKIES", False),
            live_window_seconds=_float(e, "LIVE_WINDOW_SECONDS", 900.0, minimum=10.0),
            smtp_url=smtp,
            mail_from=mail_from,
            mail_inbound_domain=inbound,
            mail_secret=secret,
            mail_scan_seconds=_float(e, "MAIL_SCAN_SECONDS", 5.0, minimum=0.1),
            mail_inbound_host=_str(e, "MAIL_INBOUND_HOST", "127.0.0.1"),
            mail_inbound_port=_int(e, "MAIL_INBOUND_PORT", 0),
            mail_inbound_max_bytes=_int(e, "MAIL_INBOUND_MAX_BYTES", 10 * 1024 * 1024,
                                        minimum=64 * 1024),
            mail_lease_seconds=_float(e, "MAIL_LEASE_SECONDS", 120.0, minimum=1.0),
            public_url=_public_url(_raw(e, "PUBLIC_URL") or None),
            demo_mail_port=_int(e, "DEMO_MAIL_PORT", 8025),
        )

    @property
    def base_url(self) -> str:
        """``public_url``, else this server's own address."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some settings changed (tests and the CLI use this)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Settings(**values)


def setting_names() -> list[str]:
    """The environment variable name of every setting."""
    return [PREFIX + f.name.upper() for f in fields(Settings)]
