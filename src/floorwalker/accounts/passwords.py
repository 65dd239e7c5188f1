"""Password hashing (argon2id, RFC 9106 low-memory profile) and the password policy.

Hashing takes ~0.1 s of CPU and 64 MiB on purpose, so it runs in a worker thread to
keep the event loop serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from floorwalker.errors import ApiError

HASHER = PasswordHasher()  # argon2id; its defaults follow argon2-cffi's recommended profile
MIN_LENGTH = 10
MAX_LENGTH = 1024  # hashing a megabyte per attempt would be a cheap way to burn our CPU

_dummy_hash: str | None = None


@dataclass(frozen=True, slots=True)
class Checked:
    """The outcome of checking a password: matched, and a new hash when it should be stored."""

    ok: bool
    rehash: str | None = None


def check_policy(password: str, *, email: str | None = None) -> None:
    """422 ``weak_password`` unless the password is long enough and not the e-mail."""
    problem = None
    if len(password) < MIN_LENGTH:
        problem = f"use at least {MIN_LENGTH} characters"
    elif len(password) > MAX_LENGTH:
        problem = f"use at most {MAX_LENGTH} characters"
    elif email is not None and password.strip().lower() == email.lower():
        problem = "do not use your e-mail address"
    if problem is not None:
        raise ApiError(422, "weak_password", f"Choose another password: {problem}.",
                       [{"path": "$.password", "problem": problem}])


async def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return await asyncio.to_thread(HASHER.hash, password)


def _check(stored: str, password: str) -> Checked:
    try:
        HASHER.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return Checked(False)
    # Parameters raised since this hash was made: store a fresh one while we know the password.
    return Checked(True, HASHER.hash(password) if HASHER.check_needs_rehash(stored) else None)


async def verify_password(stored: str | None, password: str) -> Checked:
    """Whether ``password`` matches ``stored``; with no stored hash (unknown account,
    invitation not accepted) a dummy hash is checked so the answer takes as long."""
    global _dummy_hash
    if stored is None:
        if _dummy_hash is None:
            _dummy_hash = await hash_password("not the password of anyone")
        await asyncio.to_thread(_check, _dummy_hash, password[:MAX_LENGTH])
        return Checked(False)
    if len(password) > MAX_LENGTH:
        return Checked(False)
    return await asyncio.to_thread(_check, stored, password)
