"""What the outbox holds, through ``GET /api/emails`` and ``floorwalker mail list``, and
``floorwalker mail test`` through a real SMTP server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time

import httpx

from floorwalker.mail import outbox
from floorwalker.store.engine import make_engine
from floorwalker.store.transaction import atomic
from tests.conftest import Tenant
from tests.mail.conftest import ThreadedMailbox


async def queue_some(database_url: str, workspace_id: str) -> list[str]:
    engine = make_engine(database_url)
    now = time.time()
    try:
        async with atomic(engine) as tx:
            ids = [await outbox.enqueue(tx.conn, outbox.Draft(
                workspace_id=workspace_id, kind="unread_replies",
                to_address=f"v{n}@example.com", subject=f"Reply {n}", body_text="Hi",
                conversation_id=f"c_{n % 2}"), now=now + n, mail_from="shop@acme.example")
                for n in range(3)]
    finally:
        await engine.dispose()
    return ids


async def test_admins_list_their_workspaces_emails(client: httpx.AsyncClient, alice: Tenant,
                                                   charlie: Tenant, database_url: str) -> None:
    ids = await queue_some(database_url, alice.workspace_id)
    r = await client.get("/api/emails", headers=alice.bearer())
    assert r.status_code == 200, r.text
    found = r.json()["emails"]
    assert [e["message_id"] for e in found] == list(reversed(ids))  # newest first
    assert {e["status"] for e in found} == {"queued"} and "body_text" not in found[0]
    r = await client.get("/api/emails", headers=alice.bearer(),
                         params={"conversation_id": "c_0"})
    assert [e["subject"] for e in r.json()["emails"]] == ["Reply 2", "Reply 0"]
    page = await client.get("/api/emails", headers=alice.bearer(), params={
        "limit": 1, "before": found[0]["created_at"]})
    assert [e["subject"] for e in page.json()["emails"]] == ["Reply 1"]
    r = await client.get("/api/emails", headers=alice.bearer(), params={"status": "sent"})
    assert r.json()["emails"] == []
    # Another workspace sees none of them; no token, no list; a bad status is a 422.
    assert (await client.get("/api/emails", headers=charlie.bearer())).json()["emails"] == []
    assert (await client.get("/api/emails")).status_code == 401
    bad = await client.get("/api/emails", headers=alice.bearer(), params={"status": "lost"})
    assert bad.status_code == 422


def cli(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "floorwalker.cli", "mail", *args],
                          env={**os.environ, "FLOORWALKER_DATABASE_URL": database_url,
                               "COLUMNS": "200", **env},
                          capture_output=True, text=True, timeout=120, check=False)


async def test_the_cli_lists_the_outbox_and_sends_a_test(
        alice: Tenant, database_url: str, mailbox: ThreadedMailbox) -> None:
    await queue_some(database_url, alice.workspace_id)
    shown = await asyncio.to_thread(cli, database_url, "list", "--workspace", "acme")
    assert shown.returncode == 0, shown.stderr
    assert "v2@example.com" in shown.stdout and "Reply 0" in shown.stdout
    assert "queued" in shown.stdout
    bad = await asyncio.to_thread(cli, database_url, "list", "--workspace", "acme",
                                  "--status", "lost")
    assert bad.returncode == 1 and "invalid_status" in bad.stderr
    sent = await asyncio.to_thread(cli, database_url, "test", "--to", "me@example.com",
                                   FLOORWALKER_SMTP_URL=mailbox.url,
                                   FLOORWALKER_MAIL_FROM="shop@acme.example")
    assert sent.returncode == 0, sent.stderr
    [got] = mailbox.wait_for(1)
    assert got.rcpt_to == ["me@example.com"]
    assert got.message["Subject"] == "Floorwalker test e-mail"
    none = await asyncio.to_thread(cli, database_url, "test", "--to", "me@example.com")
    assert none.returncode == 2 and "FLOORWALKER_SMTP_URL" in none.stderr
