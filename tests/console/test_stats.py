"""The console's charts: chats, ratings and invitations per day, and the live figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.console.conftest import Desk
from tests.console.shop import live, page, plain_chat, rate, start_chat


def test_today_counts_chats_ratings_invitations_and_who_is_live(desk: Desk) -> None:
    page(desk, "browsing", "/")
    _ws1, first = start_chat(desk, "v1")  # invited, replied: queued in sales
    _ws2, second = start_chat(desk, "v2")
    plain_chat(desk, "v3", "hi")
    desk.track("v4", "need_help", topic="x")  # invited (no socket), never answered
    rate(desk, "v1", first, 5)
    rate(desk, "v2", second, 2)
    r = desk.sam.get("/api/stats/overview")
    assert r.status_code == 200, r.text
    doc = r.json()
    assert len(doc["days"]) == 14
    today = datetime.now(UTC).date()
    assert [d["day"] for d in doc["days"]] == [
        (today - timedelta(days=13 - i)).isoformat() for i in range(14)]
    assert doc["days"][-1] == {"day": today.isoformat(), "chats": 3, "rated": 2,
                               "avg_rating": 3.5, "invitations": 3, "accepted": 2}
    assert all(d["chats"] == 0 and d["avg_rating"] is None for d in doc["days"][:-1])
    visitors = live(desk.sam)["count"]
    assert doc["live"] == {"visitors": visitors, "in_chat": 3, "queued": 3}
    assert visitors == 5
    # The days parameter; an outsider has nothing.
    assert len(desk.sam.get("/api/stats/overview", params={"days": 1}).json()["days"]) == 1
    assert len(desk.sam.get("/api/stats/overview", params={"days": 90}).json()["days"]) == 90
    theirs = desk.charlie.get("/api/stats/overview").json()
    assert sum(d["chats"] + d["invitations"] for d in theirs["days"]) == 0
    assert theirs["live"] == {"visitors": 0, "in_chat": 0, "queued": 0}
    assert date.fromisoformat(theirs["days"][-1]["day"]) == today


def test_bad_days_are_422(desk: Desk) -> None:
    for days in (0, 91, -1, "week", 1.5):
        r = desk.sam.get("/api/stats/overview", params={"days": days})
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request"), days
