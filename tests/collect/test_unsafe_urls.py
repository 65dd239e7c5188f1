"""Security review, issue 9 §5.4: a visitor-supplied ``javascript:`` page URL is never
stored, so it can become no link in the console (only http(s) page URLs are kept)."""

from __future__ import annotations

import httpx

from tests.conftest import Tenant

EVIL = "javascript:alert(document.cookie)"


async def test_a_javascript_page_url_is_dropped_everywhere_it_would_show(
        client: httpx.AsyncClient, alice: Tenant) -> None:
    calls = [
        {"type": "page", "anonymousId": "mallory", "messageId": "p1",
         "properties": {"title": "Evil page", "url": EVIL},
         "context": {"page": {"url": EVIL, "path": "/evil", "title": "Evil page"}}},
        {"type": "track", "anonymousId": "mallory", "messageId": "t1", "event": "page_view",
         "properties": {"page_location": "  JavaScript:alert(1)", "page_title": "GA4"}},
        {"type": "track", "anonymousId": "mallory", "messageId": "t2", "event": "view_item",
         "properties": {"item_id": "boot", "url": "data:text/html,<script>alert(1)</script>"},
         "context": {"page": {"url": "java\tscript:alert(1)", "path": "/boot"}}},
    ]
    r = await client.post("/v1/batch", headers=alice.basic(), json={"batch": calls})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["accepted"] == 3
    dropped = sorted(w["path"] for w in body["warnings"] if w["code"] == "unsafe_url")
    assert dropped == ["$.batch[0].context.page.url", "$.batch[0].properties.url",
                       "$.batch[1].properties.page_location", "$.batch[2].context.page.url",
                       "$.batch[2].properties.url"]
    # A good URL is kept as it was.
    r = await client.post("/v1/page", headers=alice.basic(), json={
        "anonymousId": "ann", "context": {"page": {"url": "https://acme.example/boots?c=red",
                                                   "path": "/boots"}}})
    assert r.status_code == 200 and "warnings" not in r.json(), r.text

    seen = []
    for path in ("/api/visitors/mallory", "/api/visitors/mallory/events",
                 "/api/live/visitors", "/api/live/visitors/mallory"):
        r = await client.get(path, headers=alice.bearer())
        assert r.status_code == 200, (path, r.text)
        seen.append(r.text.lower())
    text = "\n".join(seen)
    assert "evil page" in text  # the events and the visitor are there
    for scheme in ("javascript:", "java\\tscript", "data:text/html"):
        assert scheme not in text, scheme
    profile = (await client.get("/api/visitors/mallory", headers=alice.bearer())).json()
    assert "url" not in profile["session"]["current_page"]
    ann = (await client.get("/api/visitors/ann", headers=alice.bearer())).json()
    assert ann["session"]["current_page"]["url"] == "https://acme.example/boots?c=red"
