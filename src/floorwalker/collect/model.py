"""The typed event model at the boundary: Segment call shapes, decoded by msgspec.

Unknown top-level fields (``integrations``, ``_metadata``, ``channel``...) are accepted
and ignored, as Segment does; known fields must have the right type.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

Json = dict[str, Any]


class _Call(msgspec.Struct, kw_only=True, frozen=True):
    anonymousId: str | int | None = None
    userId: str | int | None = None
    messageId: str | None = None
    timestamp: datetime | None = None
    sentAt: datetime | None = None
    context: Json | None = None


class Track(_Call, tag="track", frozen=True):
    """A named event with properties."""

    event: str
    properties: Json | None = None


class PageCall(_Call, tag="page", frozen=True):
    """A page view (stored as the GA4 name ``page_view``)."""

    name: str | None = None
    category: str | None = None
    properties: Json | None = None


class Screen(_Call, tag="screen", frozen=True):
    """A mobile screen view (stored as ``screen_view``)."""

    name: str | None = None
    properties: Json | None = None


class Identify(_Call, tag="identify", frozen=True):
    """Ties the caller to a user id and sets traits."""

    traits: Json | None = None


class Alias(_Call, tag="alias", frozen=True):
    """Links a previous id to a user id."""

    previousId: str | int


class Group(_Call, tag="group", frozen=True):
    """Associates the user with a group (stored; not acted upon yet)."""

    groupId: str | int
    traits: Json | None = None


Call = Track | PageCall | Screen | Identify | Alias | Group


class Batch(msgspec.Struct, kw_only=True, frozen=True):
    """``POST /v1/batch``."""

    batch: list[Call]
    context: Json | None = None
    sentAt: datetime | None = None
    writeKey: str | None = None


CALL_TYPES: dict[str, type[Any]] = {
    "track": Track,
    "page": PageCall,
    "screen": Screen,
    "identify": Identify,
    "alias": Alias,
    "group": Group,
}

# Decoders are built once: msgspec compiles the schema.
BATCH_DECODER = msgspec.json.Decoder(Batch)
SINGLE_DECODERS = {name: msgspec.json.Decoder(cls) for name, cls in CALL_TYPES.items()}
