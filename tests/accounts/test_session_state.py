"""``GET /api/auth/session``: the console asks who is logged in without a failed request."""

from __future__ import annotations

from tests.accounts.conftest import Console, Person


async def test_nobody_logged_in_is_a_plain_answer(console: Console) -> None:
    browser = console.browser()
    r = await browser.get("/api/auth/session")
    assert r.status_code == 200, r.text
    assert r.json() == {"logged_in": False}
    assert r.headers["cache-control"] == "no-store"
    browser.cookies.set("fw_session", "forged-or-expired")
    assert (await browser.get("/api/auth/session")).json() == {"logged_in": False}


async def test_a_session_answers_like_me(alice_admin: Person) -> None:
    r = await alice_admin.browser.get("/api/auth/session")
    assert r.status_code == 200, r.text
    me = (await alice_admin.browser.get("/api/auth/me")).json()
    assert r.json() == {"logged_in": True, **me}
    r = await alice_admin.browser.post("/api/auth/logout", headers=alice_admin.csrf_header())
    assert r.status_code == 200, r.text
    assert (await alice_admin.browser.get("/api/auth/session")).json() == {"logged_in": False}
