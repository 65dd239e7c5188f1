"""Invitations: who may invite, the agents row, one use, expiry."""

from __future__ import annotations

import time

import httpx
import time_machine

from floorwalker.accounts import actions
from tests.accounts.conftest import Console, Person
from tests.conftest import Tenant


async def _invite(inviter: Person, email: str, role: str = "agent",
                  **extra: object) -> httpx.Response:
    return await inviter.browser.post("/api/auth/invitations", headers=inviter.csrf_header(),
                                      json={"email": email, "name": "Dana", "role": role,
                                            **extra})


async def test_an_invited_agent_is_staffed(console: Console, alice: Tenant,
                                          bob_agent: Person) -> None:
    assert bob_agent.account["role"] == "agent"
    assert bob_agent.account["agent_id"]
    api = console.browser()
    r = await api.get(f"/api/agents/{bob_agent.account['agent_id']}", headers=alice.bearer())
    assert r.status_code == 200, r.text
    assert r.json()["email"] == "bob@acme.example"
    assert r.json()["departments"] == ["sales"]
    r = await api.get("/api/presence", headers=alice.bearer())
    assert [a["email"] for a in r.json()["agents"]] == ["bob@acme.example"]


async def test_inviting_an_existing_agent_links_its_row(console: Console, alice: Tenant,
                                                       alice_admin: Person) -> None:
    api = console.browser()
    r = await api.post("/api/agents", headers=alice.bearer(),
                       json={"email": "sam@acme.example", "name": "Sam", "max_chats": 5})
    assert r.status_code == 201
    invited = await _invite(alice_admin, "Sam@acme.example")
    assert invited.status_code == 201, invited.text
    assert invited.json()["account"]["agent_id"] == r.json()["id"]


async def test_an_invitation_works_once(console: Console, alice_admin: Person) -> None:
    r = await _invite(alice_admin, "dana@acme.example")
    link = r.json()["link"]
    dana = Person("dana@acme.example", "dana-long-secret", "acme", console.browser())
    assert (await dana.accept(link)).status_code == 200
    again = await Person("dana@acme.example", "evil-long-secret", "acme",
                         console.browser()).accept(link)
    assert again.status_code == 410
    assert again.json()["error"]["code"] == "invitation_used"
    # The password set the first time is still the one.
    assert (await dana.login()).status_code == 200
    assert (await dana.login("evil-long-secret")).status_code == 401


async def test_an_expired_or_unknown_invitation_is_not_found(console: Console,
                                                            alice_admin: Person) -> None:
    link = (await _invite(alice_admin, "dana@acme.example")).json()["link"]
    dana = Person("dana@acme.example", "dana-long-secret", "acme", console.browser())
    with time_machine.travel(time.time() + actions.INVITATION_SECONDS + 60):
        r = await dana.accept(link)
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "invitation_expired"
    r = await dana.accept("/console/accept?token=made-up")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "invitation_not_found"


async def test_inviting_again_replaces_a_lost_link(console: Console,
                                                   alice_admin: Person) -> None:
    lost = (await _invite(alice_admin, "dana@acme.example")).json()["link"]
    r = await _invite(alice_admin, "dana@acme.example")
    assert r.status_code == 201
    dana = Person("dana@acme.example", "dana-long-secret", "acme", console.browser())
    assert (await dana.accept(lost)).json()["error"]["code"] == "invitation_not_found"
    assert (await dana.accept(r.json()["link"])).status_code == 200
    # Once the account is in use, inviting it again is a conflict.
    r = await _invite(alice_admin, "dana@acme.example")
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "account_exists"


async def test_accepting_with_a_weak_password_keeps_the_invitation(
        console: Console, alice_admin: Person) -> None:
    link = (await _invite(alice_admin, "dana@acme.example")).json()["link"]
    for weak in ("short", "dana@acme.example"):
        r = await Person("dana@acme.example", weak, "acme", console.browser()).accept(link)
        assert r.status_code == 422
        assert r.json()["error"]["code"] == "weak_password"
    assert (await Person("dana@acme.example", "dana-long-secret", "acme",
                         console.browser()).accept(link)).status_code == 200


async def test_an_agent_cannot_invite(bob_agent: Person) -> None:
    r = await _invite(bob_agent, "eve@acme.example")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "admin_required"
    r = await bob_agent.browser.get("/api/auth/accounts")
    assert r.json()["error"]["code"] == "admin_required"


async def test_inviting_needs_csrf_and_a_login(console: Console, alice_admin: Person) -> None:
    r = await alice_admin.browser.post("/api/auth/invitations",
                                       json={"email": "eve@acme.example", "name": "Eve"})
    assert r.json()["error"]["code"] == "csrf_failed"
    r = await console.browser().post("/api/auth/invitations",
                                     json={"email": "eve@acme.example", "name": "Eve"})
    assert r.json()["error"]["code"] == "login_required"


async def test_a_workspace_admin_token_may_invite(console: Console, alice: Tenant) -> None:
    r = await console.browser().post("/api/auth/invitations", headers=alice.bearer(), json={
        "email": "owner@acme.example", "name": "Owner", "role": "admin"})
    assert r.status_code == 201, r.text
    assert r.json()["account"]["agent_id"] is None
    assert r.json()["account"]["pending"] is True
    r = await console.browser().get("/api/auth/accounts", headers=alice.bearer())
    assert [a["email"] for a in r.json()] == ["owner@acme.example"]


async def test_a_bad_invitation_is_422(alice_admin: Person) -> None:
    r = await _invite(alice_admin, "not-an-email")
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["path"] == "$.email"
    r = await _invite(alice_admin, "eve@acme.example", role="owner")
    assert r.status_code == 422



async def test_cli_invites_an_agent(database_url: str, alice: Tenant) -> None:
    """`floorwalker agent invite` prints a one-time link that sets the password."""
    import asyncio
    import os
    import subprocess
    import sys
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url}
    result = await asyncio.to_thread(
        subprocess.run, [sys.executable, "-m", "floorwalker.cli", "agent", "invite",
                         "dan@acme.example", "--workspace", "acme", "--department", "sales",
                         "--base-url", "https://chat.acme.example"],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("https://chat.acme.example/console/accept?token=")
