"""The outbox under a killed process: ``floorwalker serve`` is killed (SIGKILL) while it
sends; once started again, every queued e-mail arrives, and an e-mail that arrives twice
is the same e-mail (one Message-ID), never a second one."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import select

from floorwalker.mail import outbox
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import emails
from floorwalker.store.transaction import atomic
from tests.mail.conftest import ThreadedMailbox

COUNT = 40


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def queue(database_url: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        async with atomic(engine) as tx:
            return [await outbox.enqueue(tx.conn, outbox.Draft(
                workspace_id="ws_1", kind="unread_replies", to_address=f"v{n}@example.com",
                subject=f"Reply {n}", body_text="Hello"), now=time.time(),
                mail_from="shop@acme.example") for n in range(COUNT)]
    finally:
        await engine.dispose()


async def statuses(database_url: str) -> collections.Counter[str]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return collections.Counter(r.status for r in await conn.execute(
                select(emails.c.status)))
    finally:
        await engine.dispose()


def serve(database_url: str, mailbox: ThreadedMailbox, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "FLOORWALKER_DATABASE_URL": database_url,
           "FLOORWALKER_SMTP_URL": mailbox.url, "FLOORWALKER_MAIL_FROM": "shop@acme.example",
           "FLOORWALKER_TIMERS_ENABLED": "false", "FLOORWALKER_MAIL_LEASE_SECONDS": "2",
           "FLOORWALKER_LOG_LEVEL": "warning"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "floorwalker.cli", "serve", "--port", str(free_port())],
            env=env, stdout=out, stderr=subprocess.STDOUT)


def test_a_killed_sender_loses_no_email_and_sends_none_as_two(
        database_url: str, mailbox: ThreadedMailbox, tmp_path: Path) -> None:
    queued = asyncio.run(queue(database_url))
    mailbox.box.delay = 0.05  # a relay that takes its time: the kill lands mid-batch
    log = tmp_path / "serve.log"
    first = serve(database_url, mailbox, log)
    try:
        mailbox.wait_for(8, seconds=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    got_before = len(mailbox.caught)
    assert got_before < COUNT, "the kill came too late to prove anything"
    second = serve(database_url, mailbox, log)
    try:
        deadline = time.monotonic() + 60
        while len({m.message["Message-ID"] for m in mailbox.caught}) < COUNT:
            assert time.monotonic() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        time.sleep(0.5)  # anything sent twice would arrive now
    finally:
        second.terminate()
        second.wait(20)
    ids = [m.message["Message-ID"] for m in mailbox.caught]
    assert set(ids) == set(queued)  # every one arrived
    # At most the e-mails held at the kill come again, each as itself.
    assert len(ids) - len(set(ids)) <= 1
    assert asyncio.run(statuses(database_url)) == {"sent": COUNT}
