"""Reply addresses: ``reply+<conversation id>.<day>.<signature>@<inbound domain>``.

``day`` is the day the e-mail went out (days since 1970, base 36); the signature
(HMAC-SHA256 with ``FLOORWALKER_MAIL_SECRET`` over both) lets an inbound reply name its
conversation without anyone being able to forge another's, and a reply to an e-mail
older than :data:`MAX_AGE_DAYS` is refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

MAX_AGE_DAYS = 120
DAY = 86_400


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


def _sign(secret: str, conversation_id: str, day: str) -> str:
    digest = hmac.new(secret.encode(), f"{conversation_id}.{day}".encode(),
                      hashlib.sha256).digest()
    return base64.b32encode(digest[:15]).decode().lower()


def reply_token(secret: str, conversation_id: str, now: float | None = None) -> str:
    """The signed token for a conversation's reply address, issued at ``now``."""
    day = _base36(int((time.time() if now is None else now) // DAY))
    return f"{conversation_id}.{day}.{_sign(secret, conversation_id, day)}"


def reply_address(secret: str, domain: str, conversation_id: str,
                  now: float | None = None) -> str:
    return f"reply+{reply_token(secret, conversation_id, now)}@{domain}"


def conversation_of(secret: str, token: str, now: float | None = None) -> str | None:
    """The conversation a token names, or None when we did not sign it or it expired."""
    conversation_id, _, rest = token.lower().partition(".")
    day, _, signature = rest.partition(".")
    if not conversation_id or not day or not signature or not day.isalnum():
        return None
    if not hmac.compare_digest(signature.encode(),
                               _sign(secret, conversation_id, day).encode()):
        return None
    age = int((time.time() if now is None else now) // DAY) - int(day, 36)
    if age > MAX_AGE_DAYS or age < -1:
        return None
    return conversation_id


def signed(secret: str, kind: str, value: str, now: float | None = None) -> str:
    """``value`` with the day and a signature for ``kind`` (``bounce``, ``unsubscribe``):
    a token of one kind is never taken for another."""
    day = _base36(int((time.time() if now is None else now) // DAY))
    return f"{value}.{day}.{_sign(secret, kind + ':' + value, day)}"


def unsigned(secret: str, kind: str, token: str, *, max_age_days: int = MAX_AGE_DAYS,
             now: float | None = None) -> str | None:
    """The value of a ``kind`` token we signed, or None (forged, or older than
    ``max_age_days``)."""
    value, _, rest = token.rpartition(".")
    value, _, day = value.rpartition(".")
    signature = rest
    if not value or not day or not day.isalnum():
        return None
    if not hmac.compare_digest(signature.lower().encode(),
                               _sign(secret, kind + ":" + value, day.lower()).encode()):
        return None
    age = int((time.time() if now is None else now) // DAY) - int(day, 36)
    return value if -1 <= age <= max_age_days else None


def bounce_address(secret: str, domain: str, email_id: str) -> str:
    """The envelope sender (Return-Path) of an e-mail: its bounces name it (VERP)."""
    return f"bounce+{signed(secret, 'bounce', email_id)}@{domain}"
