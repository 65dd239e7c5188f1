"""The outbox against a real SMTP server on loopback: every e-mail goes out once with its
headers, a relay that is down gets it again later, a refusal fails it, two senders never
send the same e-mail, and a process that died holding one leaves it to be sent again."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from floorwalker.errors import ApiError
from floorwalker.mail import outbox
from floorwalker.mail.sink import Mailbox
from floorwalker.mail.smtp import Relay
from floorwalker.store.engine import make_engine
from floorwalker.store.tables import emails
from floorwalker.store.transaction import atomic

FROM = "shop@acme.example"


@pytest.fixture
async def box() -> AsyncIterator[Mailbox]:
    mailbox = Mailbox()
    await mailbox.start()
    yield mailbox
    await mailbox.stop()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[object]:
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


def draft(n: int = 1, **changes: object) -> outbox.Draft:
    fields: dict[str, object] = {
        "workspace_id": "ws_1", "kind": "unread_replies", "to_address": f"ann{n}@example.com",
        "subject": f"Reply {n}", "body_text": f"Hello {n}\nSecond line",
        "body_html": f"<p>Hello {n}</p>", "from_name": "Sam (Acme)", "language": "en",
        "conversation_id": "c_1"}
    fields.update(changes)
    return outbox.Draft(**fields)  # type: ignore[arg-type]


async def queue(engine: object, *drafts: outbox.Draft, now: float | None = None) -> list[str]:
    ids = []
    async with atomic(engine) as tx:  # type: ignore[arg-type]
        for d in drafts:
            ids.append(await outbox.enqueue(tx.conn, d, now=now or time.time(), mail_from=FROM))
    return ids


async def rows(engine: object) -> list[dict[str, object]]:
    async with engine.connect() as conn:  # type: ignore[attr-defined]
        found = await conn.execute(select(emails).order_by(emails.c.created_at, emails.c.id))
        return [dict(r) for r in found.mappings()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_email_goes_out_once_with_its_headers(engine: object, box: Mailbox) -> None:
    [first] = await queue(engine, draft(1))
    [second] = await queue(engine, draft(2, in_reply_to=first, thread_refs=first,
                                         reply_to="reply+c_1.abc@mail.acme.example"))
    sender = outbox.Sender(engine, Relay.from_url(box.url), FROM)  # type: ignore[arg-type]
    assert await sender.tick() == 2
    got = {m.message["Message-ID"]: m for m in await box.wait_for(2)}
    assert set(got) == {first, second} and first.endswith("@acme.example>")
    one = got[first].message
    [sender_address] = one["From"].addresses
    assert (sender_address.display_name, sender_address.addr_spec) == ("Sam (Acme)", FROM)
    assert one["To"] == "ann1@example.com"
    assert one["Subject"] == "Reply 1" and one["Auto-Submitted"] == "auto-generated"
    assert one["In-Reply-To"] is None and one["Reply-To"] is None
    assert got[first].part("plain") == "Hello 1\nSecond line\n"
    assert got[first].part("html") == "<p>Hello 1</p>\n"
    two = got[second].message
    assert two["In-Reply-To"] == first and two["References"] == first
    assert two["Reply-To"] == "reply+c_1.abc@mail.acme.example"
    # Sent once: the next tick finds nothing, and the rows say so.
    assert await sender.tick() == 0 and len(box.caught) == 2
    assert [(r["status"], r["attempts"]) for r in await rows(engine)] == [("sent", 1)] * 2


async def test_a_relay_that_is_down_gets_it_again_later(engine: object) -> None:
    port = free_port()
    now = time.time()
    await queue(engine, draft(), now=now)
    sender = outbox.Sender(engine, Relay.from_url(f"smtp://127.0.0.1:{port}"),  # type: ignore[arg-type]
                           FROM)
    assert await sender.tick(now) == 0
    [row] = await rows(engine)
    assert (row["status"], row["attempts"]) == ("queued", 1)
    assert row["next_attempt_at"] == pytest.approx(now + outbox.BACKOFF[0])
    assert "Connect" in str(row["last_error"]) or "refused" in str(row["last_error"]).lower()
    # Not before its time, even with the relay back.
    box = Mailbox(port=port)
    await box.start()
    try:
        assert await sender.tick(now + 10) == 0 and box.caught == type(box.caught)()
        assert await sender.tick(now + outbox.BACKOFF[0] + 1) == 1
        assert len(await box.wait_for(1)) == 1
    finally:
        await box.stop()
    [row] = await rows(engine)
    assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_a_refusal_fails_it_for_good_and_a_busy_server_later(engine: object,
                                                                   box: Mailbox) -> None:
    now = time.time()
    await queue(engine, draft(1), now=now)
    sender = outbox.Sender(engine, Relay.from_url(box.url), FROM)  # type: ignore[arg-type]
    box.refuse = 550
    assert await sender.tick(now) == 0
    [row] = await rows(engine)
    assert (row["status"], row["attempts"]) == ("failed", 1) and "550" in str(row["last_error"])
    await queue(engine, draft(2), now=now)
    box.refuse = 450
    assert await sender.tick(now) == 0
    later = next(r for r in await rows(engine) if r["to_address"] == "ann2@example.com")
    assert later["status"] == "queued" and later["next_attempt_at"] > now
    box.refuse = None
    assert await sender.tick(now + outbox.BACKOFF[0]) == 1


async def test_the_last_attempt_gives_up(engine: object) -> None:
    now = time.time()
    await queue(engine, draft(), now=now)
    sender = outbox.Sender(engine, Relay.from_url(f"smtp://127.0.0.1:{free_port()}"),  # type: ignore[arg-type]
                           FROM)
    at = now
    for _ in range(outbox.MAX_ATTEMPTS):
        await sender.tick(at)
        [row] = await rows(engine)
        at = float(row["next_attempt_at"])  # type: ignore[arg-type]
    assert (row["status"], row["attempts"]) == ("failed", outbox.MAX_ATTEMPTS)


async def test_two_senders_never_send_the_same_email(engine: object, box: Mailbox) -> None:
    ids = await queue(engine, *(draft(n) for n in range(20)))
    relay = Relay.from_url(box.url)
    a = outbox.Sender(engine, relay, FROM)  # type: ignore[arg-type]
    b = outbox.Sender(engine, relay, FROM)  # type: ignore[arg-type]
    counts = await asyncio.gather(a.tick(), b.tick())
    assert sum(counts) == 20
    caught = await box.wait_for(20)
    await asyncio.sleep(0.2)
    assert sorted(m.message["Message-ID"] for m in box.caught) == sorted(ids)
    assert len(caught) == 20 and len(box.caught) == 20


async def test_an_email_held_by_a_process_that_died_is_sent_again(engine: object,
                                                                  box: Mailbox) -> None:
    now = time.time()
    [message_id] = await queue(engine, draft(), now=now)
    async with atomic(engine) as tx:  # type: ignore[arg-type]
        [email_id] = await outbox.due_ids(tx.conn, now)
        assert await outbox.claim(tx.conn, email_id, now) is not None  # ...and it dies here
    sender = outbox.Sender(engine, Relay.from_url(box.url), FROM)  # type: ignore[arg-type]
    assert await sender.tick(now + 1) == 0  # still held
    assert await sender.tick(now + outbox.LEASE_SECONDS + 1) == 1
    [got] = await box.wait_for(1)
    assert got.message["Message-ID"] == message_id  # the same e-mail, not a new one
    [row] = await rows(engine)
    assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_headers_cannot_be_injected_and_bad_addresses_are_refused(
        engine: object, box: Mailbox) -> None:
    await queue(engine, draft(subject="Hi\r\nBcc: victim@example.com",
                              from_name="Sam\nX-Evil: 1"))
    with pytest.raises(ApiError) as refused:
        await queue(engine, draft(to_address="ann@example.com\r\nBcc: x@example.com"))
    assert refused.value.code == "invalid_address"
    for bad in ("", "ann", "ann@", "Ann <ann@example.com>", "a b@example.com",
                "ann@example.com,bob@example.com"):
        assert not outbox.valid_address(bad)
    sender = outbox.Sender(engine, Relay.from_url(box.url), FROM)  # type: ignore[arg-type]
    assert await sender.tick() == 1
    [got] = await box.wait_for(1)
    assert got.message["Subject"] == "Hi Bcc: victim@example.com"
    assert got.message["Bcc"] is None and got.message["X-Evil"] is None
    assert got.rcpt_to == ["ann1@example.com"]
