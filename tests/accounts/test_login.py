"""Logging in and out: the whole path, wrong credentials, cookies, limits, expiry."""

from __future__ import annotations

import time

import httpx
import time_machine
from argon2 import PasswordHasher
from asgi_lifespan import LifespanManager
from sqlalchemy import select, update

from floorwalker.accounts import actions, passwords
from floorwalker.config import Settings
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import accounts
from tests.accounts.conftest import Console, Person, console_app, invite_directly
from tests.conftest import Tenant


async def test_invite_accept_login_me_logout(console: Console, alice: Tenant,
                                             database_url: str) -> None:
    alice_ = Person("Alice@Acme.example", "alice-long-secret", "acme", console.browser())
    link = await invite_directly(database_url, alice, alice_.email, "Alice", "admin")
    assert link.startswith("/console/accept?token=")

    r = await alice_.accept(link)
    assert r.status_code == 200, r.text
    assert r.json()["account"]["email"] == "alice@acme.example"  # stored lower-case
    assert r.json()["account"]["pending"] is False

    fresh = Person(alice_.email, alice_.password, "acme", console.browser())
    r = await fresh.login()
    assert r.status_code == 200, r.text
    assert r.json()["account"]["role"] == "admin"
    assert r.json()["workspace"] == {"id": alice.workspace_id, "slug": "acme"}
    assert r.headers["cache-control"] == "no-store"

    me = await fresh.browser.get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["account"]["name"] == "Alice"
    assert me.json()["csrf_token"] == fresh.csrf

    r = await fresh.browser.post("/api/auth/logout", headers=fresh.csrf_header())
    assert r.status_code == 200
    assert 'fw_session=""' in r.headers["set-cookie"]
    assert (await fresh.browser.get("/api/auth/me")).json()["error"]["code"] == "login_required"
    # The other browser's session is untouched.
    assert (await alice_.browser.get("/api/auth/me")).status_code == 200


async def test_wrong_password_and_unknown_email_look_the_same(alice_admin: Person,
                                                              console: Console) -> None:
    wrong = await alice_admin.login("not-the-password")
    stranger = Person("nobody@acme.example", "whatever-password", "acme", console.browser())
    unknown = await stranger.login()
    nowhere = Person(alice_admin.email, alice_admin.password, "no-such-ws", console.browser())
    no_workspace = await nowhere.login()
    for r in (wrong, unknown, no_workspace):
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "invalid_credentials"
        assert "set-cookie" not in r.headers
    assert wrong.json() == unknown.json() == no_workspace.json()


async def test_unknown_email_still_costs_a_hash(console: Console, alice: Tenant) -> None:
    stranger = Person("nobody@acme.example", "whatever-password", "acme", console.browser())
    await stranger.login()  # the dummy hash is made once
    started = time.perf_counter()
    await stranger.login()
    # An argon2 check takes tens of milliseconds; a bare "no such row" takes about one.
    assert time.perf_counter() - started > 0.01


async def test_session_cookie_flags(console: Console, alice_admin: Person) -> None:
    r = await alice_admin.login()
    cookie = r.headers["set-cookie"]
    assert cookie.startswith("fw_session=")
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Path=/" in cookie
    assert "Secure" not in cookie  # plain http in this test

    tls = Person(alice_admin.email, alice_admin.password, "acme",
                 console.browser("https://testserver"))
    assert "Secure" in (await tls.login()).headers["set-cookie"]
    assert (await tls.browser.get("/api/auth/me")).status_code == 200


async def test_forwarded_https_counts_only_from_a_trusted_proxy(console: Console,
                                                                alice_admin: Person) -> None:
    r = await alice_admin.browser.post("/api/auth/login", headers={"X-Forwarded-Proto": "https"},
                                       json={"workspace": "acme", "email": alice_admin.email,
                                             "password": alice_admin.password})
    assert "Secure" not in r.headers["set-cookie"]  # no FLOORWALKER_TRUSTED_PROXIES


async def test_login_attempts_are_rate_limited(console: Console, alice_admin: Person) -> None:
    for _ in range(10):
        assert (await alice_admin.login("guess-guess-guess")).status_code == 401
    r = await alice_admin.login()  # even the right password waits now
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["retry-after"]) > 0
    # Another e-mail from the same address is counted apart.
    other = Person("bob@acme.example", "whatever-password", "acme", alice_admin.browser)
    assert (await other.login()).status_code == 401


def _from(console: Console, address: str) -> httpx.AsyncClient:
    """A browser at another client address."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=console.app,
                                                             client=(address, 40000)),
                               base_url="http://testserver")
    console.clients.append(client)
    return client


async def test_padding_the_workspace_name_does_not_escape_the_limit(
        console: Console, alice_admin: Person) -> None:
    """Security review (issue 9, 5.2): the limit keyed on the untrimmed name."""
    variants = ["acme", " acme", "acme ", "  acme  ", "ACME", "Acme\t", "\nacme"]
    codes = []
    for n in range(12):
        r = await alice_admin.browser.post("/api/auth/login", json={
            "workspace": variants[n % len(variants)] + " " * n,
            "email": f" {alice_admin.email.upper()} ", "password": "guess-guess-guess"})
        codes.append(r.status_code)
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]
    r = await alice_admin.browser.post("/api/auth/login", json={
        "workspace": "   acme   ", "email": alice_admin.email, "password": alice_admin.password})
    assert r.status_code == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert set(r.json()["error"]) == {"code", "message", "details"}
    assert int(r.headers["retry-after"]) > 0


async def test_spraying_one_account_from_many_addresses_is_limited(
        console: Console, alice_admin: Person) -> None:
    """Security review (issue 9, 5.2): one guess from each of many addresses."""
    codes = []
    for n in range(40):  # a slow machine refills a token every 10 s meanwhile
        r = await _from(console, f"203.0.113.{n + 1}").post("/api/auth/login", json={
            "workspace": "acme", "email": alice_admin.email, "password": "guess-guess-guess"})
        codes.append(r.status_code)
        if r.status_code != 401:
            break
    assert codes[:30] == [401] * 30
    assert codes[-1] == 429
    assert r.json()["error"]["code"] == "rate_limited"
    assert r.json()["error"]["details"][0]["scope"] == "account"
    assert int(r.headers["retry-after"]) > 0
    # Another account of the same workspace is not affected.
    stranger = Person("nobody@acme.example", "whatever-password", "acme",
                      _from(console, "203.0.113.200"))
    assert (await stranger.login()).status_code == 401


async def test_secure_cookies_setting_marks_the_cookie_secure(alice: Tenant,
                                                              settings: Settings) -> None:
    """FLOORWALKER_SECURE_COOKIES: Secure even when the proxy in front does not say https."""
    assert Settings.from_env({"FLOORWALKER_SECURE_COOKIES": "true"}).secure_cookies is True
    app = console_app(settings.with_overrides(secure_cookies=True))
    link = await invite_directly(settings.database_url, alice, "dora@acme.example", "Dora",
                                 "admin")
    async with LifespanManager(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        r = await client.post("/api/auth/accept", json={
            "token": link.split("token=", 1)[1], "password": "dora-long-secret"})
        assert r.status_code == 200, r.text
        assert "Secure" in r.headers["set-cookie"]


async def test_expired_session_is_refused(console: Console, alice_admin: Person) -> None:
    assert (await alice_admin.browser.get("/api/auth/me")).status_code == 200
    with time_machine.travel(time.time() + actions.SESSION_IDLE_SECONDS + 60):
        r = await alice_admin.browser.get("/api/auth/me")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "login_required"


async def test_using_a_session_keeps_it_alive_up_to_a_week(console: Console,
                                                          alice_admin: Person) -> None:
    start = time.time()
    # Every 11 hours (within the 12-hour idle limit) for six days, the console is used.
    for hours in range(11, 6 * 24, 11):
        with time_machine.travel(start + hours * 3600):
            assert (await alice_admin.browser.get("/api/auth/me")).status_code == 200
    with time_machine.travel(start + actions.SESSION_MAX_SECONDS + 60):
        assert (await alice_admin.browser.get("/api/auth/me")).status_code == 401


async def test_no_cookie_or_a_forged_one_is_login_required(console: Console,
                                                           alice_admin: Person) -> None:
    anonymous = console.browser()
    assert (await anonymous.get("/api/auth/me")).json()["error"]["code"] == "login_required"
    anonymous.cookies.set("fw_session", "forged")
    assert (await anonymous.get("/api/auth/me")).json()["error"]["code"] == "login_required"


async def test_logout_needs_the_csrf_token(alice_admin: Person) -> None:
    r = await alice_admin.browser.post("/api/auth/logout")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "csrf_failed"
    r = await alice_admin.browser.post("/api/auth/logout", headers={"X-CSRF-Token": "nope"})
    assert r.json()["error"]["code"] == "csrf_failed"
    assert (await alice_admin.browser.get("/api/auth/me")).status_code == 200


async def test_old_hash_parameters_are_upgraded_at_login(alice_admin: Person,
                                                         database_url: str) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    engine = make_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(update(accounts).where(accounts.c.email == alice_admin.email)
                               .values(password_hash=weak.hash(alice_admin.password)))
        assert (await alice_admin.login()).status_code == 200
        async with engine.connect() as conn:
            stored = (await conn.execute(select(accounts.c.password_hash).where(
                accounts.c.email == alice_admin.email))).scalar_one()
    finally:
        await engine.dispose()
    assert stored.startswith("$argon2id$")
    assert not passwords.HASHER.check_needs_rehash(stored)
    assert (await alice_admin.login()).status_code == 200


async def test_a_disabled_account_cannot_log_in(alice_admin: Person, bob_agent: Person) -> None:
    r = await alice_admin.browser.post(f"/api/auth/accounts/{bob_agent.account['id']}/disable",
                                       headers=alice_admin.csrf_header())
    assert r.status_code == 200, r.text
    assert r.json()["disabled"] is True
    # bob's open session ended, and logging in again is refused.
    assert (await bob_agent.browser.get("/api/auth/me")).status_code == 401
    r = await bob_agent.login()
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "account_disabled"
    r = await alice_admin.browser.post(f"/api/auth/accounts/{bob_agent.account['id']}/enable",
                                       headers=alice_admin.csrf_header())
    assert (await bob_agent.login()).status_code == 200
