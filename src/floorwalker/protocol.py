"""Frames of the WebSocket protocol, version 1 (docs/realtime.md), typed with msgspec."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any

import msgspec

PROTOCOL_VERSION = 1
MAX_TEXT = 5000
MAX_FRAME_BYTES = 64 * 1024


# An id a client sends (conversation, decision, its own message id): any text but NUL,
# which PostgreSQL cannot store or compare (``invalid_frame``, never a dropped socket).
Id = Annotated[str, msgspec.Meta(pattern=r"^[^\x00]*$")]


class _Frame(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    """A client frame: its ``type`` field names the class."""


class SendMessage(_Frame, tag="message", frozen=True):
    """A visitor's or an agent's message."""

    client_id: Id
    text: str
    conversation_id: Id | None = None
    decision_id: Id | None = None
    internal: bool = False
    # The pre-chat form's answers (field key -> text), kept on a conversation it starts.
    # Any values here so that a bad one gets ``invalid_form`` with the client_id
    # (chat/service.py checks it), not a bare ``invalid_frame``.
    form: dict[str, Any] | None = None


class Resume(_Frame, tag="resume", frozen=True):
    """Replay what was missed: conversation id -> last seq seen."""

    conversations: dict[Id, int]


class Typing(_Frame, tag="typing", frozen=True):
    """Typing indicator."""

    conversation_id: Id
    on: bool = True


class Read(_Frame, tag="read", frozen=True):
    """Read up to ``seq``."""

    conversation_id: Id
    seq: int


class DecisionResponse(_Frame, tag="decision_response", frozen=True):
    """Reaction to an invitation."""

    decision_id: Id
    response: str


class Close(_Frame, tag="close", frozen=True):
    """An agent closes a conversation (a new visitor message reopens it)."""

    conversation_id: Id


class Ping(_Frame, tag="ping", frozen=True):
    """Keep-alive."""


class Status(_Frame, tag="status", frozen=True):
    """An agent sets their own presence: online or away."""

    status: str


class TranscriptRequest(_Frame, tag="transcript", frozen=True):
    """A visitor asks for a conversation's transcript by e-mail."""

    conversation_id: Id
    email: str


ClientFrame = (SendMessage | Resume | Typing | Read | DecisionResponse | Close | Ping | Status
               | TranscriptRequest)
CLIENT_DECODER = msgspec.json.Decoder(ClientFrame)


# -- server frames (docs/realtime.md and docs/console-api.md; a test checks they agree) --

class _ServerFrame(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    """A server frame: its ``type`` field names the class."""


class Welcome(_ServerFrame, tag="welcome", frozen=True):
    """Right after connecting: the conversations to show and the heartbeat."""

    v: int
    heartbeat: float
    conversations: list[dict[str, Any]]
    account_id: str | msgspec.UnsetType | None = msgspec.UNSET  # agent sockets only
    agent_id: str | msgspec.UnsetType | None = msgspec.UNSET


class DecisionFrame(_ServerFrame, tag="decision", frozen=True):
    """The rules decided to show something."""

    decision: dict[str, Any]


class Withdraw(_ServerFrame, tag="withdraw", frozen=True):
    """A more urgent decision replaced this unanswered one."""

    decision_id: str
    reason: str


class MessageFrame(_ServerFrame, tag="message", frozen=True):
    """A message in a conversation."""

    conversation_id: str
    seq: int
    message: dict[str, Any]


class Ack(_ServerFrame, tag="ack", frozen=True):
    """The sender's message is stored."""

    client_id: str
    conversation_id: str
    message_id: str
    seq: int


class ConversationFrame(_ServerFrame, tag="conversation", frozen=True):
    """A conversation started, changed status or was assigned."""

    conversation: dict[str, Any]


class TypingFrame(_ServerFrame, tag="typing", frozen=True):
    """Someone is typing."""

    conversation_id: str
    on: bool
    who: str
    name: str | None


class ReadFrame(_ServerFrame, tag="read", frozen=True):
    """Someone has read up to ``seq``."""

    conversation_id: str
    seq: int
    by: str


class Pong(_ServerFrame, tag="pong", frozen=True):
    """The answer to ``ping``."""


class Error(_ServerFrame, tag="error", frozen=True):
    """A frame was refused."""

    code: str
    message: str
    client_id: str | msgspec.UnsetType = msgspec.UNSET


class Visitors(_ServerFrame, tag="visitors", frozen=True):
    """Live visitor rows changed (agents)."""

    visitors: Sequence[Mapping[str, Any]]  # VisitorRow (live/visitors.py)


class VisitorsLeft(_ServerFrame, tag="visitors_left", frozen=True):
    """Live visitors gone (agents)."""

    ids: list[str]


class PresenceFrame(_ServerFrame, tag="presence", frozen=True):
    """An agent's presence changed (agents)."""

    agent_id: str
    status: str
    active_chats: int


class AlertFrame(_ServerFrame, tag="alert", frozen=True):
    """An alert for one console account."""

    alert: dict[str, Any]


class TranscriptQueued(_ServerFrame, tag="transcript", frozen=True):
    """The transcript the visitor asked for is on its way."""

    conversation_id: str
    email: str


ServerFrame = (Welcome | DecisionFrame | Withdraw | MessageFrame | Ack | ConversationFrame
               | TypingFrame | ReadFrame | Pong | Error | Visitors | VisitorsLeft
               | PresenceFrame | AlertFrame | TranscriptQueued)
ENCODE = msgspec.json.Encoder()


def encode(frame: ServerFrame) -> bytes:
    """A server frame as sent."""
    return ENCODE.encode(frame)


def error(code: str, message: str, client_id: str | None = None) -> bytes:
    """An encoded error frame."""
    return ENCODE.encode(Error(code=code, message=message,
                               client_id=msgspec.UNSET if client_id is None else client_id))


# Channels of the bus.
def conversation_channel(conversation_id: str) -> str:
    """Every frame of one conversation."""
    return f"conv:{conversation_id}"


def agents_channel(workspace_id: str) -> str:
    """Every conversation frame and alert of a workspace, for agents."""
    return f"agents:{workspace_id}"


def browser_channel(workspace_id: str, anonymous_id: str) -> str:
    """Decisions and new conversations for one browser."""
    return f"anon:{workspace_id}:{anonymous_id}"


def sockets_channel(account_id: str) -> str:
    """The bus channel on which an account's open sockets hear that it changed (the
    message is the close reason for those whose session ended)."""
    return f"account-sockets:{account_id}"


def account_channel(account_id: str) -> str:
    """Alerts meant for one console account."""
    return f"account:{account_id}"
