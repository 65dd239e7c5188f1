"""Changing a password: the current one, CSRF, the policy, other sessions."""

from __future__ import annotations

from tests.accounts.conftest import Console, Person


async def test_changing_the_password(console: Console, bob_agent: Person) -> None:
    other_device = Person(bob_agent.email, bob_agent.password, "acme", console.browser())
    assert (await other_device.login()).status_code == 200

    r = await bob_agent.browser.post("/api/auth/password", headers=bob_agent.csrf_header(),
                                     json={"current": bob_agent.password,
                                           "new": "a-brand-new-secret"})
    assert r.status_code == 200, r.text
    # This session stays; the other device is logged out; only the new password works.
    assert (await bob_agent.browser.get("/api/auth/me")).status_code == 200
    assert (await other_device.browser.get("/api/auth/me")).status_code == 401
    assert (await bob_agent.login()).status_code == 401
    assert (await bob_agent.login("a-brand-new-secret")).status_code == 200


async def test_the_current_password_is_needed(bob_agent: Person) -> None:
    r = await bob_agent.browser.post("/api/auth/password", headers=bob_agent.csrf_header(),
                                     json={"current": "wrong-password", "new": "another-secret"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "wrong_password"
    assert (await bob_agent.login()).status_code == 200


async def test_changing_the_password_needs_csrf(bob_agent: Person) -> None:
    r = await bob_agent.browser.post("/api/auth/password", json={
        "current": bob_agent.password, "new": "another-secret"})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
    assert (await bob_agent.login()).status_code == 200


async def test_a_weak_new_password_is_refused(bob_agent: Person) -> None:
    r = await bob_agent.browser.post("/api/auth/password", headers=bob_agent.csrf_header(),
                                     json={"current": bob_agent.password, "new": "short"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "weak_password"
