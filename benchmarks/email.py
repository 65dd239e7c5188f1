"""E-mail benchmark: a reply by e-mail against a chat message, and the outbox's rate.

Run it with ``.venv/bin/python benchmarks/email.py [--samples 200] [--outbox 1000]``.

It starts the app (uvicorn, in this process, on 127.0.0.1 and a free port) on a
temporary SQLite file with an SMTP mailbox (``floorwalker.mail.sink``) as its relay and
its inbound SMTP server on another free port. One visitor chats; an agent's socket (the
workspace's admin token) listens. Then, one at a time:

  chat   the visitor's socket sends a message -> the agent's socket gets its ``message``
         frame (the limit: the same server's chat path, in the same run)
  email  a reply by e-mail to the conversation's signed address, over SMTP: from the
         start of DATA -> the agent's socket gets its ``message`` frame (stored before
         the server answers 250; each reply from its own address, as many visitors would)

and prints p50 and p99 of each and the e-mail/chat ratio of the medians. Then it queues
``--outbox`` e-mails in one transaction and times the sender until the mailbox has them
all: e-mails per second to a local sink (one SMTP connection per e-mail). This is a
benchmark, not a test: it asserts nothing. Everything stops with the run (a hard limit
of ``--timeout`` seconds).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on the path, and its name would hide
# the standard library's ``email`` package: take the folder out before anything imports it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent]

import argparse
import asyncio
import contextlib
import json
import socket
import statistics
import tempfile
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import aiosmtplib
import uvicorn
from rich.progress import Progress
from websockets.asyncio.client import ClientConnection, connect

from floorwalker.app import create_app
from floorwalker.config import Settings
from floorwalker.mail import outbox
from floorwalker.mail.sink import Mailbox
from floorwalker.mail.tokens import reply_address
from floorwalker.ops.logging import configure_logging
from floorwalker.store.engine import make_engine
from floorwalker.store.migrate import upgrade_async
from floorwalker.store.transaction import atomic
from floorwalker.tenancy import service

SECRET = "benchmark-secret-0123456789"  # noqa: S105 (signs this run's reply addresses)
DOMAIN = "reply.bench.localhost"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def frame_of(sock: ClientConnection, wanted: Callable[[dict[str, Any]], bool],
                   ) -> dict[str, Any]:
    """The next frame ``wanted`` says yes to (the others are skipped)."""
    while True:
        frame: dict[str, Any] = json.loads(await sock.recv())
        if wanted(frame):
            return frame


async def frame_with(sock: ClientConnection, text: str) -> None:
    """Wait for the agent's ``message`` frame carrying ``text``."""
    await frame_of(sock, lambda f: f.get("type") == "message" and f["message"]["text"] == text)


async def run(samples: int, queued: int) -> dict[str, float]:
    tmp = tempfile.TemporaryDirectory()
    url = f"sqlite+aiosqlite:///{Path(tmp.name) / 'bench.db'}"
    await upgrade_async(url)
    engine = make_engine(url)
    async with engine.begin() as conn:
        ws = await service.create_workspace(conn, "bench", "Bench")
        site = await service.create_site(conn, ws.id, "Bench shop", "bench.example")
        token = await service.create_token(conn, ws.id, "bench")
    box = Mailbox()
    await box.start()
    port, inbound = free_port(), free_port()
    settings = Settings(
        database_url=url, port=port, log_json=False, log_level="warning", rate_limit_per_ip=0,
        rate_limit_per_key=0, timers_enabled=False, smtp_url=box.url,
        mail_from="shop@bench.example", mail_inbound_domain=DOMAIN, mail_secret=SECRET,
        mail_inbound_port=inbound)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                           log_config=None, access_log=False, ws="websockets"))
    serving = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 (uvicorn offers no event to wait on)
        await asyncio.sleep(0.05)
    base = f"ws://127.0.0.1:{port}"
    results: dict[str, float] = {}
    try:
        async with connect(f"{base}/ws/visitor?v=1&writeKey={site.write_key}"
                           "&anonymousId=bench-visitor") as visitor, \
                connect(f"{base}/ws/agent?v=1",
                        additional_headers={"Authorization": f"Bearer {token}"}) as agent:
            await visitor.recv()
            await agent.recv()
            await visitor.send(json.dumps({"type": "message", "client_id": "first",
                                           "text": "Hello"}))
            ack = await frame_of(visitor, lambda f: f.get("type") == "ack")
            conv = ack["conversation_id"]
            await frame_with(agent, "Hello")
            # The e-mails the conversation went out as: each reply comes from one of them.
            async with atomic(engine) as tx:
                for n in range(samples):
                    await outbox.enqueue(tx.conn, outbox.Draft(
                        workspace_id=ws.id, kind="unread_replies", to_address=f"v{n}@example.com",
                        subject="Reply", body_text="Hi", conversation_id=conv),
                        now=time.time() + 86_400, mail_from=settings.mail_from)
            chat, mail = [], []
            with Progress() as progress:
                task = progress.add_task("chat and e-mail replies", total=2 * samples)
                for n in range(samples):
                    text = f"chat {n}"
                    started = time.perf_counter()
                    await visitor.send(json.dumps({"type": "message", "client_id": f"c{n}",
                                                   "text": text, "conversation_id": conv}))
                    await frame_with(agent, text)
                    chat.append(time.perf_counter() - started)
                    progress.advance(task)
                for n in range(samples):
                    text = f"e-mail {n}"
                    reply = EmailMessage()
                    reply["From"] = f"v{n}@example.com"
                    reply["To"] = reply_address(SECRET, DOMAIN, conv)
                    reply["Subject"] = "Re: Reply"
                    reply["Message-ID"] = make_msgid(domain="example.com")
                    reply.set_content(f"{text}\n\nOn Sat, Sam wrote:\n> Hi\n")
                    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=inbound, start_tls=False)
                    await smtp.connect()
                    await smtp.ehlo()
                    await smtp.mail(str(reply["From"]))
                    await smtp.rcpt(str(reply["To"]))
                    started = time.perf_counter()
                    await smtp.data(reply.as_bytes())
                    await frame_with(agent, text)
                    mail.append(time.perf_counter() - started)
                    await smtp.quit()
                    progress.advance(task)
            results.update({"chat_p50": statistics.median(chat), "chat_p99": pct(chat, 0.99),
                            "email_p50": statistics.median(mail), "email_p99": pct(mail, 0.99)})
        # The outbox: queue, then time the sender until the mailbox has them all.
        caught = len(box.caught)
        box.keep = caught + queued
        async with atomic(engine) as tx:
            for n in range(queued):
                await outbox.enqueue(tx.conn, outbox.Draft(
                    workspace_id=ws.id, kind="unread_replies", to_address=f"o{n}@example.com",
                    subject=f"Outbox {n}", body_text="Hello\n", body_html="<p>Hello</p>"),
                    now=time.time(), mail_from=settings.mail_from)
        sender = server.config.app.state.services.mail  # the app's own sender
        started = time.perf_counter()
        with Progress() as progress:
            task = progress.add_task("outbox", total=queued)
            while len(box.caught) - caught < queued:
                await sender.tick()
                progress.update(task, completed=len(box.caught) - caught)
        results["outbox_seconds"] = time.perf_counter() - started
        results["outbox_per_second"] = queued / results["outbox_seconds"]
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await serving
        await box.stop()
        await engine.dispose()
        tmp.cleanup()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--outbox", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    configure_logging("warning", json_logs=False)
    r = asyncio.run(asyncio.wait_for(run(args.samples, args.outbox), args.timeout))
    ms = 1000.0
    print(f"\n{args.samples} of each, one at a time")
    print(f"{'path':<46}{'p50':>10}{'p99':>10}")
    print(f"{'chat message -> agent frame (the limit)':<46}{r['chat_p50'] * ms:>8.2f}ms"
          f"{r['chat_p99'] * ms:>8.2f}ms")
    print(f"{'e-mail reply: DATA -> agent frame':<46}{r['email_p50'] * ms:>8.2f}ms"
          f"{r['email_p99'] * ms:>8.2f}ms")
    print(f"ratio of medians, e-mail / chat: {r['email_p50'] / r['chat_p50']:.1f}x")
    print(f"outbox: {args.outbox} e-mails to a local sink in {r['outbox_seconds']:.1f} s = "
          f"{r['outbox_per_second']:.0f} e-mails/s")


if __name__ == "__main__":
    main()
