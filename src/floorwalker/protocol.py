"""Frames of the WebSocket protocol, version 1 (docs/realtime.md), typed with msgspec."""

from __future__ import annotations

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


ClientFrame = SendMessage | Resume | Typing | Read | DecisionResponse | Close | Ping | Status
CLIENT_DECODER = msgspec.json.Decoder(ClientFrame)
ENCODE = msgspec.json.Encoder()


def frame(kind: str, **fields: Any) -> bytes:
    """An encoded server frame."""
    return ENCODE.encode({"type": kind, **fields})


def error(code: str, message: str, client_id: str | None = None) -> bytes:
    """An encoded error frame."""
    fields: dict[str, Any] = {"code": code, "message": message}
    if client_id is not None:
        fields["client_id"] = client_id
    return frame("error", **fields)


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


def account_channel(account_id: str) -> str:
    """Alerts meant for one console account."""
    return f"account:{account_id}"
