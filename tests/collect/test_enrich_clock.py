"""Tests for client clock correction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from floorwalker.collect.enrich import correct_timestamp

RECEIVED = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)


def test_client_clock_two_hours_ahead_is_corrected() -> None:
    skew = timedelta(hours=2)
    happened = RECEIVED - timedelta(seconds=30)
    # The client stamped the event and sent the batch with its clock 2 hours fast;
    # the batch took no time to arrive.
    result = correct_timestamp(happened + skew, RECEIVED + skew, RECEIVED)
    assert result == happened
    assert result.tzinfo is UTC


def test_client_clock_behind_is_corrected() -> None:
    skew = timedelta(minutes=-47)
    happened = RECEIVED - timedelta(minutes=3)
    assert correct_timestamp(happened + skew, RECEIVED + skew, RECEIVED) == happened


def test_without_sent_at_timestamp_is_used_as_is() -> None:
    happened = RECEIVED - timedelta(minutes=10)
    assert correct_timestamp(happened, None, RECEIVED) == happened


def test_without_timestamp_received_at_is_used() -> None:
    assert correct_timestamp(None, None, RECEIVED) == RECEIVED
    assert correct_timestamp(None, RECEIVED - timedelta(hours=1), RECEIVED) == RECEIVED


def test_future_beyond_tolerance_is_clamped_to_received_at() -> None:
    future = RECEIVED + timedelta(hours=3)
    assert correct_timestamp(future, None, RECEIVED) == RECEIVED


def test_small_future_within_tolerance_is_kept() -> None:
    slightly = RECEIVED + timedelta(minutes=2)
    assert correct_timestamp(slightly, None, RECEIVED) == slightly
    assert correct_timestamp(slightly, None, RECEIVED, max_future=timedelta(0)) == RECEIVED


def test_old_events_are_clamped_to_max_past() -> None:
    ancient = datetime(1970, 1, 1, tzinfo=UTC)
    assert correct_timestamp(ancient, None, RECEIVED) == RECEIVED - timedelta(days=30)
    week_old = RECEIVED - timedelta(days=7)
    assert correct_timestamp(week_old, None, RECEIVED) == week_old
    assert correct_timestamp(week_old, None, RECEIVED, max_past=timedelta(days=1)) == (
        RECEIVED - timedelta(days=1)
    )


def test_offline_replay_keeps_its_time_when_sent_at_is_consistent() -> None:
    # Queued offline for three days, then sent: the client clock is right, no correction.
    happened = RECEIVED - timedelta(days=3)
    assert correct_timestamp(happened, RECEIVED, RECEIVED) == happened


def test_naive_inputs_are_treated_as_utc() -> None:
    naive_received = datetime(2025, 3, 14, 12, 0, 0)
    naive_ts = datetime(2025, 3, 14, 11, 0, 0)
    result = correct_timestamp(naive_ts, None, naive_received)
    assert result == datetime(2025, 3, 14, 11, 0, 0, tzinfo=UTC)
    assert result.tzinfo is UTC
    assert correct_timestamp(None, None, naive_received).tzinfo is UTC


def test_other_time_zones_are_converted_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    ts = datetime(2025, 3, 14, 12, 30, 0, tzinfo=paris)
    result = correct_timestamp(ts, None, RECEIVED)
    assert result == datetime(2025, 3, 14, 11, 30, 0, tzinfo=UTC)
    assert result.tzinfo is UTC


def test_mixed_naive_and_aware() -> None:
    sent_naive = datetime(2025, 3, 14, 14, 0, 0)  # client 2 h fast, no zone given
    ts = datetime(2025, 3, 14, 13, 59, 0, tzinfo=UTC)
    assert correct_timestamp(ts, sent_naive, RECEIVED) == RECEIVED - timedelta(minutes=1)


def test_extreme_values_do_not_raise() -> None:
    assert correct_timestamp(datetime.max, datetime.min, RECEIVED) == RECEIVED
    assert correct_timestamp(datetime.min, datetime.max, RECEIVED) == RECEIVED - timedelta(days=30)
    huge = timedelta(days=10**6)
    assert correct_timestamp(None, None, RECEIVED, max_past=huge) == RECEIVED
    assert correct_timestamp(RECEIVED, None, RECEIVED, max_past=huge) == RECEIVED


def test_aware_extremes_do_not_raise() -> None:
    ahead = timezone(timedelta(hours=5))
    behind = timezone(timedelta(hours=-5))
    early = datetime.min.replace(tzinfo=ahead)
    late = datetime.max.replace(tzinfo=behind)
    assert correct_timestamp(early, None, RECEIVED) == RECEIVED - timedelta(days=30)
    assert correct_timestamp(late, None, RECEIVED) == RECEIVED
    assert correct_timestamp(RECEIVED, early, RECEIVED) == RECEIVED
