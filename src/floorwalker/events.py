"""Types every feature shares: an accepted event after validation and enrichment.

It imports nothing of Floorwalker, so any feature may import it.
"""

from __future__ import annotations

from typing import Any

import msgspec


class Incoming(msgspec.Struct, kw_only=True):
    """One event as the pipeline handles it; ``user_id`` is set only when trusted."""

    type: str
    name: str
    message_id: str
    workspace_id: str
    site_id: str
    anonymous_id: str | None
    user_id: str | None
    previous_id: str | None = None
    properties: dict[str, Any]
    traits: dict[str, Any] | None = None
    ts: float
    received_at: float
    context: dict[str, Any]
    trusted: bool = False
