"""What the rules engine produces: rows to write in the caller's transaction, and what
to do once they are committed. Typed, so the writer, the frames, the alerts and the
webhooks read the same fields.

Rows are ``TypedDict``s: they go to the database as they are (one ``executemany`` per
table in the group commit, no copy). What follows the commit is a msgspec ``Struct``.
"""

from __future__ import annotations

from typing import Any, TypedDict

import msgspec

from floorwalker.rules.model import Action


class EventRow(TypedDict):
    """An event the rules put on a visitor's timeline (segment entered or left)."""

    workspace_id: str
    site_id: str
    visitor_id: str
    message_id: str
    type: str
    name: str
    ts: float
    received_at: float
    properties: str  # JSON
    context: str  # JSON


class DecisionRow(TypedDict):
    """A decision as the ``decisions`` table stores it."""

    id: str
    workspace_id: str
    visitor_id: str
    scenario_key: str
    variant: str | None
    outcome: str  # fired | fallback | suppressed ...
    reason: str | None
    action_type: str | None
    payload: str | None  # JSON of what the browser shows
    trigger: str
    created_at: float
    expires_at: float | None
    delivered_at: float | None
    response: str | None
    responded_at: float | None
    segments: str | None  # the visitor's segments then: ",a,b,"


class TimerRow(TypedDict):
    """A persisted timer (time on site, idle, absence)."""

    id: str
    workspace_id: str
    visitor_id: str
    scenario_key: str
    due_at: float
    session_id: str
    created_at: float


class Withdrawn(msgspec.Struct, frozen=True):
    """An earlier unanswered decision a more urgent one replaced."""

    id: str
    reason: str


class Fired(msgspec.Struct, kw_only=True, frozen=True):
    """A decision with an action, for what follows the commit: frames to the browser,
    agents' alerts, webhooks."""

    decision_id: str
    scenario: str
    variant: str | None
    outcome: str
    trigger: str
    action: Action
    payload: dict[str, Any]  # what the browser shows (rendered texts)
    visitor_id: str
    workspace_id: str
    replaces: str | None  # the decision it withdrew, if any
    visitor: dict[str, Any]  # the engine's summary of the visitor
    event: dict[str, Any] | None  # the event that caused it (name, properties)
    # An ``email`` action's: the visitor's address and the workspace's name (the outbox
    # row is written in the decisions' transaction, where nothing more is read).
    email_to: str | None = None
    workspace_name: str = ""  # the e-mail's sender name: the workspace's brand or name
    email_from: str | None = None  # the workspace's own sender address


class Output(msgspec.Struct):
    """What one unit of work's rule evaluations produced, to write and to do after commit."""

    events: list[EventRow] = msgspec.field(default_factory=list)
    decisions: list[DecisionRow] = msgspec.field(default_factory=list)
    timers_set: dict[str, TimerRow] = msgspec.field(default_factory=dict)
    fired: list[Fired] = msgspec.field(default_factory=list)
    withdrawn: list[Withdrawn] = msgspec.field(default_factory=list)
