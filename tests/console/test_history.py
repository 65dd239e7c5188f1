"""History: search and filters over past conversations, paging, transcripts and the CSV
export, and nothing of another workspace."""

from __future__ import annotations

import csv
import io
from typing import Any

from tests.console.conftest import Desk, Person, until
from tests.console.shop import plain_chat, rate, say, start_chat


def ids(person: Person, **params: Any) -> list[str]:
    """Conversation ids of one page of ``GET /api/conversations``."""
    r = person.get("/api/conversations", params=params)
    assert r.status_code == 200, r.text
    return [c["id"] for c in r.json()["conversations"]]


def started_at(desk: Desk, conv_id: str) -> float:
    doc = desk.alice.get(f"/api/conversations/{conv_id}").json()["conversation"]
    return float(doc["started_at"])


def answer(person: Person, conv_id: str, text: str, internal: bool = False) -> None:
    r = person.post(f"/api/conversations/{conv_id}/messages",
                    {"text": text, "internal": internal})
    assert r.status_code == 201, r.text


def test_search_needs_every_word_in_any_message(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        sam.receive_json()
        ws, boots = start_chat(desk, "v1", "Do you have RED Boots?")
        answer(desk.sam, boots, "Yes, they ship tomorrow")
        _ws2, socks = start_chat(desk, "v2", "red socks please")
    assert ids(desk.sam, q="red boots") == [boots]
    assert ids(desk.sam, q="boots SHIP") == [boots]  # words from two messages
    assert set(ids(desk.sam, q="red")) == {boots, socks}
    assert ids(desk.sam, q="red hats") == []
    assert ids(desk.sam, q="%") == [] and ids(desk.sam, q="_") == []  # no wildcards
    assert ids(desk.sam, q="  ") != []  # blank: no filter
    say(ws, boots, "100% cotton?")
    assert ids(desk.sam, q="100%") == [boots]


def test_segment_is_the_one_when_the_chat_started(desk: Desk) -> None:
    desk.identify("vip", plan="vip")
    _ws, was_vip = start_chat(desk, "vip")
    _ws2, never = start_chat(desk, "other")
    desk.identify("vip", plan="basic")  # leaves vip afterwards
    r = desk.alice.get("/api/live/visitors/vip").json()
    assert r["visitor"]["segments"] == []
    assert ids(desk.alice, segment="vip") == [was_vip]
    assert ids(desk.alice, segment="big_cart") == []
    doc = desk.alice.get(f"/api/conversations/{was_vip}").json()["conversation"]
    assert doc["segments"] == ["vip"]
    # A visitor who enters vip later does not change the past either.
    desk.identify("other", plan="vip")
    assert ids(desk.alice, segment="vip") == [was_vip]
    assert never in ids(desk.alice)


def test_agent_department_scenario_status_rating_and_dates(desk: Desk) -> None:
    with desk.sam.socket() as sam:
        sam.receive_json()
        _ws1, by_sam = start_chat(desk, "v1")
    _ws2, queued = start_chat(desk, "v2")  # nobody online: queued in sales
    _ws3, loose = plain_chat(desk, "v3", "just a question")  # no scenario, no department
    sam_id = desk.sam.account["agent_id"]
    assert ids(desk.alice, agent=sam_id) == [by_sam]
    assert ids(desk.alice, agent=desk.bea.account["agent_id"]) == []
    assert set(ids(desk.alice, department="sales")) == {by_sam, queued}
    assert ids(desk.alice, department="billing") == []
    assert set(ids(desk.alice, scenario="help")) == {by_sam, queued}
    assert ids(desk.alice, scenario="nope") == []
    assert set(ids(desk.alice, status="queued")) == {queued, loose}
    assert ids(desk.alice, status="open") == [by_sam]
    r = desk.sam.post(f"/api/conversations/{by_sam}/close")
    assert r.json()["status"] == "closed"
    assert ids(desk.alice, status="closed") == [by_sam]
    rate(desk, "v1", by_sam, 2)
    rate(desk, "v3", loose, 5)
    assert ids(desk.alice, rating=2) == [by_sam]
    assert ids(desk.alice, rating=5) == [loose]
    assert ids(desk.alice, rating=4) == []
    doc = desk.alice.get(f"/api/conversations/{by_sam}").json()["conversation"]
    assert (doc["rating"], doc["survey"]["rating"]) == (2, 2)
    # Dates are of the start: [since, until).
    first, last = started_at(desk, by_sam), started_at(desk, loose)
    assert set(ids(desk.alice, since=first)) == {by_sam, queued, loose}
    assert ids(desk.alice, since=last) == [loose]
    assert ids(desk.alice, until=first) == []
    assert by_sam in ids(desk.alice, until=first + 0.000_001)
    assert ids(desk.alice, since=last + 1) == []
    assert set(ids(desk.alice, since=first, until=last)) == {by_sam, queued}
    # Filters combine.
    assert ids(desk.alice, department="sales", status="queued") == [queued]
    assert ids(desk.alice, agent=sam_id, rating=5) == []


def test_paging_returns_every_row_once(desk: Desk) -> None:
    made = set()
    for i in range(7):
        _ws, conv_id = plain_chat(desk, f"v{i}", f"question {i}")
        made.add(conv_id)
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    for _ in range(10):
        r = desk.sam.get("/api/conversations", params=params).json()
        seen += [c["id"] for c in r["conversations"]]
        assert len(r["conversations"]) <= 3
        if r["next"] is None:
            break
        params["before"] = r["next"]
    assert len(seen) == 7 and set(seen) == made
    # Newest activity first across pages.
    assert seen == ids(desk.sam, limit=50)
    # Pages follow the filters too.
    one = desk.sam.get("/api/conversations", params={"limit": 1, "q": "question"}).json()
    two = desk.sam.get("/api/conversations", params={
        "limit": 1, "q": "question", "before": one["next"]}).json()
    assert one["conversations"][0]["id"] != two["conversations"][0]["id"]
    exact = desk.sam.get("/api/conversations", params={"limit": 7}).json()
    assert exact["next"] is None


def test_bad_filters_are_422_never_500(desk: Desk) -> None:
    plain_chat(desk, "v1", "hello")
    for params in ({"rating": 0}, {"rating": 6}, {"rating": "five"}, {"status": "lost"},
                   {"view": "everything"}, {"since": "yesterday"}, {"until": "x"},
                   {"limit": 0}, {"limit": 201}, {"q": "w" * 201}, {"segment": "s" * 65},
                   {"agent": "a" * 65}, {"before": "b" * 121}, {"since": "nan"},
                   {"until": "inf"}):
        r = desk.alice.get("/api/conversations", params=params)
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request"), params
        r = desk.alice.get("/api/conversations/export.csv", params=params)
        if "limit" not in params and "before" not in params:
            assert r.status_code == 422, params
    for cursor in ("garbage", "abc:c_1", ":", "nan:c_1", "inf:c_1"):
        r = desk.alice.get("/api/conversations", params={"before": cursor})
        assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_cursor"), cursor
    # view=mine is an agent's list: an admin without an agent profile is told so.
    r = desk.alice.get("/api/conversations", params={"view": "mine"})
    assert (r.status_code, r.json()["error"]["code"]) == (409, "not_an_agent")
    r = desk.client.get("/api/conversations")
    assert r.status_code == 401


def test_transcript_has_every_message_and_marks_notes(desk: Desk) -> None:
    desk.identify("v1", first_name="Ann", last_name="Example")
    with desk.sam.socket() as sam:
        sam.receive_json()
        ws, conv_id = start_chat(desk, "v1", "Do you have red boots?")
        answer(desk.sam, conv_id, "Yes, in 42")
        answer(desk.sam, conv_id, "VIP customer, offer free shipping", internal=True)
        say(ws, conv_id, "Great, thanks")
    r = desk.sam.get(f"/api/conversations/{conv_id}/transcript.txt")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    assert f'filename="{conv_id}.txt"' in r.headers["content-disposition"]
    lines = r.text.splitlines()
    assert lines[0] == f"Conversation {conv_id}"
    assert "Agent: Sam" in lines and "Department: sales" in lines and \
        "Scenario: help" in lines and "Visitor: Ann Example" in lines
    said = [line.split("] ", 1)[1] for line in lines if line.startswith("[")]
    assert "Ann Example: Do you have red boots?" in said
    assert "Sam: Yes, in 42" in said
    assert "Sam [internal note]: VIP customer, offer free shipping" in said
    assert "Ann Example: Great, thanks" in said
    assert said.index("Sam: Yes, in 42") < said.index("Ann Example: Great, thanks")
    # The visitor never sees the note.
    texts = []
    for _ in range(10):
        frame = until(ws, "message")
        texts.append(frame["message"]["text"])
        if frame["message"]["text"] == "Great, thanks":
            break
    assert "VIP customer, offer free shipping" not in texts
    r = desk.sam.get("/api/conversations/c_nope/transcript.txt")
    assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")


def test_csv_export_one_row_each_and_no_formulas(desk: Desk) -> None:
    desk.identify("v1", name="=cmd|' /C calc'!A0", email="+1@example.com")
    _ws, evil = plain_chat(desk, "v1", '=HYPERLINK("http://evil.example","click")')
    _ws2, fine = start_chat(desk, "v2", "-5 euros off?")
    _ws3, plain = plain_chat(desk, "v3", "Hello there")
    r = desk.alice.get("/api/conversations/export.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["id", "started_at", "closed_at", "status", "department", "scenario",
                       "agent", "visitor_id", "visitor_name", "visitor_email", "segments",
                       "rating", "messages", "first_visitor_message"]
    body = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert len(rows) == 4 and set(body) == {evil, fine, plain}
    assert body[evil]["first_visitor_message"] == \
        '\'=HYPERLINK("http://evil.example","click")'
    assert body[evil]["visitor_name"] == "'=cmd|' /C calc'!A0"
    assert body[evil]["visitor_email"] == "'+1@example.com"
    assert body[fine]["first_visitor_message"] == "'-5 euros off?"
    assert body[plain]["first_visitor_message"] == "Hello there"
    assert (body[fine]["department"], body[fine]["scenario"]) == ("sales", "help")
    assert body[plain]["started_at"].endswith("+00:00")
    for row in rows[1:]:
        assert all(not cell or cell[0] not in "=+-@" for cell in row), row
    # Same filters as the list.
    filtered = list(csv.reader(io.StringIO(desk.alice.get(
        "/api/conversations/export.csv", params={"scenario": "help"}).text)))
    assert [row[0] for row in filtered[1:]] == [fine]


def test_an_outsider_sees_nothing(desk: Desk) -> None:
    _ws, conv_id = start_chat(desk, "v1", "secret plans")
    assert ids(desk.charlie) == []
    assert ids(desk.charlie, q="secret") == []
    export = desk.charlie.get("/api/conversations/export.csv").text
    assert export.count("\n") == 1 and conv_id not in export
    for path in (f"/api/conversations/{conv_id}", f"/api/conversations/{conv_id}/transcript.txt"):
        r = desk.charlie.get(path)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found")
    for path, body in ((f"/api/conversations/{conv_id}/messages", {"text": "hi"}),
                       (f"/api/conversations/{conv_id}/transfer", {"department": "sales"}),
                       (f"/api/conversations/{conv_id}/close", None)):
        r = desk.charlie.post(path, body)
        assert (r.status_code, r.json()["error"]["code"]) == (404, "not_found"), path
    doc = desk.alice.get(f"/api/conversations/{conv_id}").json()
    assert doc["conversation"]["status"] == "queued"
    assert all(m["text"] != "hi" for m in doc["messages"])


def test_a_nul_in_a_filter_is_422_on_the_list_and_the_export(desk: Desk) -> None:
    # PostgreSQL cannot compare text with NUL; the CSV export has started streaming by then.
    for path in ("/api/conversations", "/api/conversations/export.csv"):
        for name in ("q", "segment", "agent", "department", "scenario"):
            r = desk.alice.get(path, params={name: "a\x00b"})
            assert (r.status_code, r.json()["error"]["code"]) == (422, "invalid_request"), \
                (path, name, r.text)
