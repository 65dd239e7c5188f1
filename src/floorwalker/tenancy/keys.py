"""Generating and checking keys, tokens and identity hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_key(prefix: str, nbytes: int = 18) -> str:
    """A random key such as ``fw_pub_...``."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def new_id(prefix: str) -> str:
    """A random short id such as ``ws_...``."""
    return f"{prefix}_{secrets.token_hex(8)}"


def digest(secret: str) -> str:
    """The SHA-256 hex digest we store instead of a secret we only need to recognise."""
    return hashlib.sha256(secret.encode()).hexdigest()


def user_hash(identity_secret: str, user_id: str) -> str:
    """hex(HMAC-SHA256(identity secret, user id)), what a site's server computes."""
    return hmac.new(identity_secret.encode(), user_id.encode(), hashlib.sha256).hexdigest()


def user_hash_matches(identity_secret: str, user_id: str, given: str) -> bool:
    """Constant-time check of a browser's ``user_hash``."""
    # Bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    return hmac.compare_digest(user_hash(identity_secret, user_id).encode(),
                               given.strip().lower().encode())
