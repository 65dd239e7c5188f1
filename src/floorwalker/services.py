"""The long-lived parts of a running server, built once by the app factory."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import HTTPConnection

from floorwalker.bus import Bus
from floorwalker.chat.desk import Desk
from floorwalker.chat.sockets import VisitorSockets
from floorwalker.collect.enrich import GeoLocator
from floorwalker.collect.normalize import Normalizer
from floorwalker.collect.pipeline import Pipeline
from floorwalker.config import Settings
from floorwalker.live.alerts import Alerts
from floorwalker.live.visitors import LiveVisitors
from floorwalker.mail.inbound import Inbound
from floorwalker.mail.outbox import Sender
from floorwalker.mail.parts import MailParts
from floorwalker.mail.sink import Mailbox
from floorwalker.ops.metrics import Metrics
from floorwalker.ops.ratelimit import RateLimiter
from floorwalker.rules.lookups import LookupStore
from floorwalker.rules.runtime import Rules
from floorwalker.tenancy.directory import Directory


@dataclass
class Services:
    """Everything a request handler may need."""

    settings: Settings
    engine: AsyncEngine
    directory: Directory
    pipeline: Pipeline
    normalizer: Normalizer
    geo: GeoLocator
    lookups: LookupStore
    metrics: Metrics
    key_limiter: RateLimiter
    ip_limiter: RateLimiter
    rules: Rules
    bus: Bus
    live: LiveVisitors
    desk: Desk
    alerts: Alerts
    visitor_sockets: VisitorSockets
    mail: Sender
    # What every kind of e-mail needs: the sender's wake-up and the e-mail settings.
    mail_parts: MailParts
    # The demo's own SMTP mailbox (``/demo/mailbox``), when it runs one.
    mailbox: Mailbox | None = None
    # The SMTP server reading replies by e-mail, when one runs.
    inbound: Inbound | None = None


def services(conn: HTTPConnection) -> Services:
    """The services of the app serving this request."""
    svc: Services = conn.app.state.services
    return svc
