"""A session of acme sees and changes nothing of rival."""

from __future__ import annotations

from tests.accounts.conftest import Console, Person
from tests.conftest import Tenant


async def test_me_shows_only_my_workspace(alice_admin: Person, charlie_admin: Person) -> None:
    me = (await alice_admin.browser.get("/api/auth/me")).json()
    assert me["workspace"]["slug"] == "acme"
    assert (await charlie_admin.browser.get("/api/auth/me")).json()["workspace"]["slug"] == "rival"


async def test_an_acme_password_does_not_open_rival(console: Console, alice_admin: Person,
                                                    charlie_admin: Person) -> None:
    intruder = Person(alice_admin.email, alice_admin.password, "rival", console.browser())
    assert (await intruder.login()).json()["error"]["code"] == "invalid_credentials"


async def test_rival_accounts_are_not_found_from_acme(alice_admin: Person,
                                                      charlie_admin: Person) -> None:
    listed = (await alice_admin.browser.get("/api/auth/accounts")).json()
    assert [a["email"] for a in listed] == ["alice@acme.example"]
    r = await alice_admin.browser.post(
        f"/api/auth/accounts/{charlie_admin.account['id']}/disable",
        headers=alice_admin.csrf_header())
    assert r.status_code == 404
    assert (await charlie_admin.browser.get("/api/auth/me")).status_code == 200


async def test_an_invitation_lands_in_the_inviters_workspace(
        console: Console, alice_admin: Person, charlie: Tenant) -> None:
    # alice's cookie with rival's token: the token decides, and it is rival's.
    r = await alice_admin.browser.post("/api/auth/invitations", headers=charlie.bearer(),
                                       json={"email": "x@rival.example", "name": "X"})
    assert r.json()["account"]["workspace_id"] == charlie.workspace_id
    acme = (await alice_admin.browser.get("/api/auth/accounts")).json()
    assert "x@rival.example" not in [a["email"] for a in acme]

