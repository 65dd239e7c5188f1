"""The visitor profile: what we know of one person, kept live by every event."""

from __future__ import annotations

from typing import Any

import msgspec


class PageRef(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A page as the visitor saw it."""

    url: str | None = None
    path: str | None = None
    title: str | None = None


class CartItem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One line of the cart (GA4 item fields that matter for rules)."""

    item_id: str
    item_name: str | None = None
    item_category: str | None = None
    price: float = 0.0
    quantity: float = 1.0


class Cart(msgspec.Struct, kw_only=True):
    """The cart as derived from cart events."""

    items: list[CartItem] = msgspec.field(default_factory=list)
    value: float = 0.0
    currency: str | None = None
    updated_at: float | None = None


class Purchase(msgspec.Struct, kw_only=True, omit_defaults=True):
    """A completed order."""

    transaction_id: str | None = None
    value: float = 0.0
    currency: str | None = None
    items: int = 0
    at: float = 0.0
    refunded: float = 0.0


class Session(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The current visit: starts on the first event, ends after inactivity."""

    id: str
    number: int
    started_at: float
    last_event_at: float
    landing_page: PageRef | None = None
    current_page: PageRef | None = None
    pages_viewed: int = 0
    events: int = 0
    source: dict[str, Any] | None = None
    last_event: str | None = None

    @property
    def time_on_site(self) -> float:
        """Seconds between the first and the last event (heartbeats keep it moving)."""
        return max(0.0, self.last_event_at - self.started_at)


MAX_PURCHASES_KEPT = 50
MAX_RECENT_EVENTS = 200
MAX_VISIT_STARTS = 100


class Profile(msgspec.Struct, kw_only=True):
    """Everything the profile API returns about a visitor except the timeline."""

    visitor_id: str
    workspace_id: str
    user_id: str | None = None
    anonymous_ids: list[str] = msgspec.field(default_factory=list)
    first_seen: float = 0.0
    last_seen: float = 0.0
    visit_count: int = 0
    event_count: int = 0
    session: Session | None = None
    first_source: dict[str, Any] | None = None
    geo: dict[str, Any] | None = None
    device: dict[str, Any] | None = None
    language: str | None = None
    locale: str | None = None
    cart: Cart = msgspec.field(default_factory=Cart)
    purchases: list[Purchase] = msgspec.field(default_factory=list)
    purchase_count: int = 0
    lifetime_revenue: float = 0.0
    revenue_by_currency: dict[str, float] = msgspec.field(default_factory=dict)
    attributes: dict[str, Any] = msgspec.field(default_factory=dict)
    merged_from: list[str] = msgspec.field(default_factory=list)
    # The last events as (name, time), oldest first: counts over time windows and
    # sequences read them without a query.
    recent: list[tuple[str, float]] = msgspec.field(default_factory=list)
    # Start times of the last visits, oldest first ("2 or more visits in 30 days").
    visit_starts: list[float] = msgspec.field(default_factory=list)
    # Live segment keys with the time each was entered.
    segments: dict[str, float] = msgspec.field(default_factory=dict)
    # Proactive-engagement state: caps, snoozes, last messages (kept by the rules engine).
    engagement: dict[str, Any] = msgspec.field(default_factory=dict)

    @property
    def is_customer(self) -> bool:
        """A customer has bought at least once."""
        return self.purchase_count > 0

    def segments_text(self) -> str | None:
        """The live segments as stored beside a conversation, decision or conversion:
        ``",a,b,"`` (sorted), so a filter is a ``LIKE '%,key,%'``; None when in none."""
        keys = sorted(self.segments)
        return "," + ",".join(keys) + "," if keys else None


PROFILE_ENCODER = msgspec.json.Encoder()
PROFILE_DECODER = msgspec.json.Decoder(Profile)
