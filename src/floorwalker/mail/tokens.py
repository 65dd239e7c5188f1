"""Reply addresses: ``reply+<conversation id>.<signature>@<inbound domain>``. The
signature (HMAC-SHA256 with ``FLOORWALKER_MAIL_SECRET``) lets an inbound reply name its
conversation without anyone being able to forge another's."""

from __future__ import annotations

import base64
import hashlib
import hmac


def _sign(secret: str, conversation_id: str) -> str:
    digest = hmac.new(secret.encode(), conversation_id.encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def reply_token(secret: str, conversation_id: str) -> str:
    """The signed token for a conversation's reply address."""
    return f"{conversation_id}.{_sign(secret, conversation_id)}"


def reply_address(secret: str, domain: str, conversation_id: str) -> str:
    return f"reply+{reply_token(secret, conversation_id)}@{domain}"


def conversation_of(secret: str, token: str) -> str | None:
    """The conversation a token names, or None when it is not one we signed."""
    conversation_id, _, signature = token.rpartition(".")
    if not conversation_id or not hmac.compare_digest(
            signature.lower().encode(), _sign(secret, conversation_id).encode()):
        return None
    return conversation_id
