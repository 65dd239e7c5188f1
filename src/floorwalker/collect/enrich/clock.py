"""Event time correction for clients whose clocks are wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["correct_timestamp"]


def _as_utc(moment: datetime) -> datetime:
    """Return an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        # Within hours of datetime.min/max: the zone offset no longer matters.
        return moment.replace(tzinfo=UTC)


def correct_timestamp(
    timestamp: datetime | None,
    sent_at: datetime | None,
    received_at: datetime,
    *,
    max_future: timedelta = timedelta(minutes=5),
    max_past: timedelta = timedelta(days=30),
) -> datetime:
    """Return when an event happened, in UTC, corrected for the client's clock skew.

    Segment semantics: ``timestamp`` and ``sent_at`` are both read off the client's clock,
    ``received_at`` off ours, so ``received_at - sent_at`` is the clock offset and the event
    happened at ``timestamp + offset``. Without ``sent_at`` the timestamp is used as given;
    without ``timestamp`` the event happened when it was received. Naive datetimes are
    taken as UTC. A result later than ``received_at + max_future`` cannot be right and
    becomes ``received_at``; a result earlier than ``received_at - max_past`` (a stale
    offline replay, or a clock decades off) is clamped to ``received_at - max_past``.
    """
    received = _as_utc(received_at)
    if timestamp is None:
        return received
    try:
        earliest = received - max_past
    except OverflowError:
        earliest = datetime.min.replace(tzinfo=UTC)
    offset = received - _as_utc(sent_at) if sent_at is not None else timedelta(0)
    try:
        happened = _as_utc(timestamp) + offset
    except OverflowError:
        # Near datetime.min/max: the result is far out of range on one side or the other.
        return earliest if offset < timedelta(0) else received
    if happened - received > max_future:
        return received
    return max(happened, earliest)
