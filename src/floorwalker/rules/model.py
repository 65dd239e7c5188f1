"""Definitions of segments, scenarios, departments and agents, as stored and as the API takes them.

Each is a msgspec Struct decoded strictly (a wrong field type names its path), then
checked by :mod:`floorwalker.rules.validate` for what types cannot say (conditions,
templates, durations, references).
"""

from __future__ import annotations

from typing import Any, Literal

import msgspec

SEGMENT_CLASSES = ("behavioural", "geographic", "source", "custom")
ACTION_TYPES = ("chat_invitation", "popup", "open_chat", "notify_agents", "webhook",
                "faq_link", "email_capture", "phone_card", "email")
# Actions the widget shows to the visitor (the others happen on the server side).
VISIBLE_ACTIONS = frozenset({"chat_invitation", "popup", "open_chat", "faq_link",
                             "email_capture", "phone_card"})
# An e-mail goes only to a verified visitor whose profile says they agreed to e-mail.
EMAIL_CONSENT = "email_consent"
# Actions that open a conversation with a person: they need a free agent.
LIVE_ACTIONS = frozenset({"chat_invitation", "popup", "open_chat"})

Duration = str | int | float
Texts = dict[str, str]


class Segment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A live group of visitors defined by a condition."""

    key: str
    name: str
    description: str = ""
    color: str = "#6b7280"
    priority: int = 0
    segment_class: Literal["behavioural", "geographic", "source", "custom"] = msgspec.field(
        default="behavioural", name="class")
    condition: Any = None
    enabled: bool = True


class Trigger(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What makes a scenario look at a visitor; exactly one field is set."""

    event: str | list[str] | None = None
    segment_entered: str | None = None
    time_on_site: Duration | None = None
    idle: Duration | None = None
    absence: dict[str, Any] | None = None  # {"after": name, "missing": name(s), "for": duration}


class Pages(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """URL patterns (globs on the full URL or the path) where the scenario may show."""

    include: list[str] = msgspec.field(default_factory=list)
    exclude: list[str] = msgspec.field(default_factory=list)


class Audience(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """Segments the visitor must be in (any of) and must not be in (none of)."""

    segments_any: list[str] = msgspec.field(default_factory=list)
    segments_none: list[str] = msgspec.field(default_factory=list)


class Action(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What happens: a message to the visitor, an alert to agents, a webhook, or an e-mail
    (``email``: ``title`` is its subject, ``text`` its body, ``button`` and ``url`` a link;
    only to a verified visitor who agreed, docs/email.md)."""

    type: Literal["chat_invitation", "popup", "open_chat", "notify_agents", "webhook",
                  "faq_link", "email_capture", "phone_card", "email"]
    text: Texts = msgspec.field(default_factory=dict)
    title: Texts = msgspec.field(default_factory=dict)
    button: Texts = msgspec.field(default_factory=dict)
    image_url: str | None = None
    coupon: str | None = None  # a template: may compute from sensitive values
    url: str | None = None  # FAQ link or webhook target
    phone: str | None = None
    agent_name: str | None = None
    inline_reply: bool = True
    agents: list[str] = msgspec.field(default_factory=list)  # notify_agents: agent emails
    department: str | None = None  # notify_agents: a whole department
    secret: str | None = None  # webhook: HMAC-SHA256 signing secret


class Variant(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """An A/B variant of a scenario's action, chosen stickily per visitor by weight."""

    key: str
    weight: float = 1.0
    action: Action


class Caps(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """How often one visitor may get this scenario."""

    per_session: int | None = 1
    per_visitor: int | None = None
    per_days: int | None = None  # at most once per this many days
    snooze_after_dismiss: Duration = "1h"


class Conversion(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """What counts as this scenario's conversion in reports; unset fields follow the
    workspace (``purchase``, any value, its attribution window)."""

    event: str | None = None  # the event's name: ``sign_up``, ``purchase``...
    min_value: float | None = None  # counts only when its value is at least this
    window_hours: int | None = None  # hours after the message it may follow


class Scenario(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A proactive engagement rule: trigger, conditions, targeting, action and its guards."""

    key: str
    name: str
    description: str = ""
    enabled: bool = True
    priority: int = 0
    trigger: Trigger
    condition: Any = None
    pages: Pages = msgspec.field(default_factory=Pages)
    audience: Audience = msgspec.field(default_factory=Audience)
    action: Action | None = None
    variants: list[Variant] = msgspec.field(default_factory=list)
    department: str | None = None
    needs_agent: bool | None = None  # default: true for chat and pop-up actions
    fallback: Action | None = None
    caps: Caps = msgspec.field(default_factory=Caps)
    default_language: str = "en"
    counts_toward_global_cap: bool = True
    # The share of visitors (0-0.5, sticky per person) who are never shown this scenario:
    # their decisions are recorded as ``held_out``, the control group of its lift report.
    holdout: float = 0.0
    conversion: Conversion | None = None

    def live(self) -> bool:
        """Whether this scenario needs a free agent of its department to fire."""
        if self.needs_agent is not None:
            return self.needs_agent
        types = {v.action.type for v in self.variants} if self.variants else (
            {self.action.type} if self.action else set())
        return bool(types & LIVE_ACTIONS)


class Interval(msgspec.Struct, array_like=True):
    """An opening interval "HH:MM"-"HH:MM"."""

    start: str
    end: str


class BusinessHours(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A weekly schedule in a time zone, with holiday dates (YYYY-MM-DD)."""

    time_zone: str = "UTC"
    weekly: dict[str, list[Interval]] = msgspec.field(default_factory=dict)
    holidays: list[str] = msgspec.field(default_factory=list)


class Department(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A team that takes chats (Sales, Support, Billing...)."""

    key: str
    name: str
    business_hours: BusinessHours | None = None  # None: always open


class Agent(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A person who chats; capacity and departments (accounts come with the console)."""

    email: str
    name: str
    max_chats: int = 3
    departments: list[str] = msgspec.field(default_factory=list)
    watched_segments: list[str] = msgspec.field(default_factory=list)
