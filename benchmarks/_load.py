"""Load generator for ``benchmarks/ingest.py``: realistic Segment events, lean HTTP client.

Not run by hand: ``ingest.py`` starts it as a separate process (so the load generator
never shares an interpreter or a core's event loop with the server) and talks to it with
one JSON object per line -- a ``run`` command on stdin, its figures on stdout. It exits
on ``{"cmd": "quit"}`` or when stdin closes (its parent went away).

The client is a callback-driven asyncio protocol over persistent HTTP/1.1 keep-alive
connections: one request in flight per connection (as browsers and ``wrk`` do), the
next one written from ``data_received`` the moment a response is complete. Bodies are
stitched from pre-encoded templates, so a request costs the generator a few
microseconds and it keeps plenty of headroom on a 2-core machine.

The event factory is shared with ``ingest.py``, which seeds the visitor population with it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import random
import secrets
import sys
import time
from datetime import UTC, datetime
from typing import Any

# -- realistic events -----------------------------------------------------------------------

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.6478.71 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1",
)
LOCALES = ("en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "nl-NL", "it-IT", "pt-BR")
TIMEZONES = ("Europe/Berlin", "America/New_York", "Europe/London", "Europe/Paris",
             "America/Sao_Paulo")
REFERRERS = ("", "", "", "https://www.google.com/", "https://www.bing.com/",
             "https://www.facebook.com/", "https://news.ycombinator.com/",
             "https://shop.example.com/")
CAMPAIGNS = ("", "", "", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=summer",
             "?gclid=EAIaIQobChMI", "?utm_source=instagram&utm_medium=social")
CATEGORIES = ("Shoes", "Jackets", "Bags", "Hats", "Socks", "Outdoor", "Kids")
SEARCH_TERMS = ("boots", "rain jacket", "red sneakers", "wool socks", "backpack",
                "gift card", "winter hat", "sandals")
# (event, weight): roughly the mix a shop's tag sends
EVENT_MIX = (("page_view", 50), ("view_item", 25), ("search", 13), ("add_to_cart", 12))

SITE = "https://shop.example.com"
MID, AID, TS = "@@MID@@", "@@AID@@", "@@TS@@"


def _product(rng: random.Random) -> dict[str, Any]:
    n = rng.randrange(1, 400)
    category = rng.choice(CATEGORIES)
    return {"item_id": f"SKU-{n:05d}", "item_name": f"{category[:-1]} model {n}",
            "item_category": category, "price": round(rng.uniform(9, 240), 2)}


def _template(rng: random.Random) -> dict[str, Any]:
    """One Segment call with placeholders for messageId, anonymousId and timestamp."""
    kind = rng.choices([k for k, _ in EVENT_MIX], [w for _, w in EVENT_MIX])[0]
    product = _product(rng)
    slug = product["item_name"].lower().replace(" ", "-")
    path = {"page_view": rng.choice(("/", "/sale", f"/c/{product['item_category'].lower()}",
                                     f"/p/{slug}", "/about", "/cart")),
            "view_item": f"/p/{slug}",
            "add_to_cart": f"/p/{slug}",
            "search": "/search"}[kind]
    url = SITE + path + rng.choice(CAMPAIGNS)
    referrer = rng.choice(REFERRERS)
    title = f"{path.strip('/').replace('-', ' ').title() or 'Home'} | Example Shop"
    call: dict[str, Any] = {"type": "page" if kind == "page_view" else "track"}
    if kind == "page_view":
        call["name"] = title.split(" | ")[0]
    else:
        call["event"] = kind
    call["messageId"] = MID
    call["anonymousId"] = AID
    call["timestamp"] = TS
    if kind == "page_view":
        props: dict[str, Any] = {"title": title, "url": url, "path": path}
    elif kind == "view_item":
        props = {"currency": "EUR", "value": product["price"], "items": [product]}
    elif kind == "add_to_cart":
        qty = rng.choice((1, 1, 1, 2, 3))
        props = {"currency": "EUR", "value": round(product["price"] * qty, 2),
                 "items": [{**product, "quantity": qty}]}
    else:
        props = {"search_term": rng.choice(SEARCH_TERMS), "results": rng.randrange(0, 80)}
    call["properties"] = props
    call["context"] = {
        "page": {"url": url, "path": path, "title": title, "referrer": referrer},
        "userAgent": rng.choice(USER_AGENTS),
        "locale": rng.choice(LOCALES),
        "timezone": rng.choice(TIMEZONES),
        "library": {"name": "analytics.js", "version": "5.2.0"},
        "screen": {"width": rng.choice((390, 1440, 1920)), "height": rng.choice((844, 900))},
    }
    return call


class EventFactory:
    """Segment calls with distinct messageIds over a visitor population.

    ``seeded`` visitors (anonymousId ``seed-<n>``) were stored before measuring; each
    event goes to one of them (``1 - returning - new`` of the time, uniformly, so with
    more visitors than the server's profile cache some miss it), to a visitor this
    generator created recently (``returning``), or to a brand-new visitor (``new``).
    """

    def __init__(self, seeded: int, *, new: float = 0.10, returning: float = 0.20,
                 seed: int | None = None, templates: int = 512) -> None:
        self.rng = random.Random(seed)
        self.seeded = max(seeded, 1)
        self.new, self.returning = new, returning
        self.tag = secrets.token_hex(6)
        self.counter = 0
        self.recent: list[bytes] = []
        parts = []
        for _ in range(templates):
            enc = json.dumps(_template(self.rng), separators=(",", ":")).encode()
            a, rest = enc.split(MID.encode())
            b, rest = rest.split(AID.encode())
            c, d = rest.split(TS.encode())
            parts.append((a, b, c, d))
        self.parts = parts
        self._ts_at = 0.0
        self._ts = b""

    def timestamp(self) -> bytes:
        """The client clock as ISO 8601, refreshed every 10 ms."""
        now = time.time()
        if now - self._ts_at > 0.01:
            self._ts_at = now
            stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
            self._ts = stamp.replace("+00:00", "Z").encode()
        return self._ts

    def anonymous_id(self) -> bytes:
        """A visitor from the population (seeded, recently new, or brand new)."""
        r = self.rng.random()
        if r < self.new or (r < self.new + self.returning and not self.recent):
            self.counter += 1
            aid = f"new-{self.tag}-{self.counter:x}".encode()
            if len(self.recent) < 5000:
                self.recent.append(aid)
            else:
                self.recent[self.rng.randrange(5000)] = aid
            return aid
        if r < self.new + self.returning:
            return self.rng.choice(self.recent)
        return b"seed-%d" % self.rng.randrange(self.seeded)

    def event(self, anonymous_id: bytes | None = None) -> bytes:
        """One call as JSON; ``anonymous_id`` pins the visitor (used for seeding)."""
        a, b, c, d = self.parts[self.rng.randrange(len(self.parts))]
        self.counter += 1
        mid = b"ajs-%s-%012x" % (self.tag.encode(), self.counter)
        return b"".join((a, mid, b, anonymous_id or self.anonymous_id(), c,
                         self.timestamp(), d))

    def body(self, n: int, anonymous_ids: list[bytes] | None = None) -> bytes:
        """A ``/v1/batch`` body of ``n`` calls, as analytics.js sends it."""
        if anonymous_ids is not None:
            calls = b",".join(self.event(a) for a in anonymous_ids)
        else:
            calls = b",".join(self.event() for _ in range(n))
        return b'{"batch":[' + calls + b'],"sentAt":"' + self.timestamp() + b'"}'


def seed_ids(start: int, stop: int) -> list[bytes]:
    """The anonymousIds of seeded visitors ``start`` .. ``stop - 1``."""
    return [b"seed-%d" % i for i in range(start, stop)]


# -- the client ---------------------------------------------------------------------------

class _Run:
    """One measured run: connections, counters and the window that counts."""

    def __init__(self, cmd: dict[str, Any], factory: EventFactory) -> None:
        self.factory = factory
        self.n = int(cmd["events_per_request"])
        auth = base64.b64encode(f"{cmd['write_key']}:".encode()).decode()
        self.head = (f"POST {cmd['path']} HTTP/1.1\r\nHost: {cmd['host']}:{cmd['port']}\r\n"
                     f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\n"
                     f"User-Agent: {USER_AGENTS[0]}\r\n"
                     "Accept-Language: en-US,en;q=0.9\r\nContent-Length: ").encode()
        self.window_start = self.window_end = 0.0
        self.stopping = False
        self.requests = self.events = self.errors = 0
        self.in_flight = 1 << 30  # connections opened; known once they all are
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.samples: list[str] = []
        self.done: asyncio.Future[None] | None = None
        self.closed = 0

    def request(self) -> bytes:
        body = self.factory.body(self.n)
        return b"%s%d\r\n\r\n%s" % (self.head, len(body), body)

    def completed(self, status: int, started: float, ended: float, body: bytes) -> None:
        if not 200 <= status < 300:
            self.errors += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
            if len(self.samples) < 3:
                self.samples.append(f"{status}: {body[:300].decode(errors='replace')}")
        elif self.window_start <= ended <= self.window_end:
            self.requests += 1
            self.events += self.n
            self.latencies.append(ended - started)


class _Conn(asyncio.Protocol):
    def __init__(self, run: _Run) -> None:
        self.run = run
        self.buf = b""
        self.need = -1
        self.status = 0
        self.body_at = 0
        self.started = 0.0
        self.transport: Any = None  # uvloop's transports are not asyncio.Transport

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        self._send()

    def _send(self) -> None:
        if self.run.stopping or time.perf_counter() >= self.run.window_end:
            self.transport.close()
            return
        data = self.run.request()
        self.started = time.perf_counter()
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.need < 0:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = self.buf[:end].lower()
                self.status = int(head[9:12])
                at = head.find(b"content-length:")
                if at < 0:  # uvicorn always sends a length for these responses
                    self.run.errors += 1
                    self.transport.close()
                    return
                eol = head.find(b"\r\n", at)
                length = int(head[at + 15:eol if eol > 0 else None])
                self.body_at = end + 4
                self.need = self.body_at + length
            if len(self.buf) < self.need:
                return
            ended = time.perf_counter()
            self.run.completed(self.status, self.started, ended,
                               self.buf[self.body_at:self.need])
            self.buf = self.buf[self.need:]
            self.need = -1
            self._send()

    def connection_lost(self, exc: Exception | None) -> None:
        run = self.run
        run.closed += 1
        if self.need >= 0 or (not run.stopping and time.perf_counter() < run.window_end):
            run.errors += 1  # the server dropped a connection mid-request
        if run.done is not None and not run.done.done() and run.closed >= run.in_flight:
            run.done.set_result(None)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc (0 when unreadable)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _machine_busy() -> float:
    """CPU seconds all cores have spent busy since boot (from /proc/stat)."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_load(cmd: dict[str, Any], factory: EventFactory) -> dict[str, Any]:
    """Drive ``cmd['path']`` for warmup + seconds and report what the window saw."""
    loop = asyncio.get_running_loop()
    run = _Run(cmd, factory)
    warmup, seconds = float(cmd["warmup"]), float(cmd["seconds"])
    t0 = time.perf_counter()
    run.window_start = t0 + warmup
    run.window_end = run.window_start + seconds
    run.done = loop.create_future()
    # CPU use of both processes over the measured window only (not warm-up or teardown).
    server_pid = int(cmd.get("server_pid") or 0)
    cpu: dict[str, float] = {}

    def sample(at: str) -> None:
        cpu[at + "_client"] = time.process_time()
        cpu[at + "_server"] = _cpu_seconds(server_pid) if server_pid else 0.0
        cpu[at + "_machine"] = _machine_busy()

    loop.call_later(warmup, sample, "start")
    loop.call_later(warmup + seconds, sample, "end")
    results = await asyncio.gather(*(
        loop.create_connection(lambda: _Conn(run), cmd["host"], cmd["port"])
        for _ in range(int(cmd["connections"]))), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    run.in_flight = len(results) - len(failed)
    if run.closed >= run.in_flight and not run.done.done():
        run.done.set_result(None)
    # Every connection closes itself after the window; wait for the slowest response.
    try:
        await asyncio.wait_for(asyncio.shield(run.done),
                               timeout=max(0.0, run.window_end - time.perf_counter()) + 30)
    except TimeoutError:
        run.stopping = True
    for at in ("start", "end"):  # only when every connection failed early
        if at + "_client" not in cpu:
            sample(at)
    return {
        "requests": run.requests, "events": run.events, "seconds": seconds,
        "requests_per_s": run.requests / seconds, "events_per_s": run.events / seconds,
        "p50_ms": _percentile(run.latencies, 0.50) * 1000,
        "p99_ms": _percentile(run.latencies, 0.99) * 1000,
        "errors": run.errors + len(failed), "statuses": run.statuses,
        "error_samples": run.samples + [repr(f) for f in failed[:2]],
        "client_cpu": (cpu["end_client"] - cpu["start_client"]) / seconds,
        "server_cpu": (cpu["end_server"] - cpu["start_server"]) / seconds,
        # Everything else the machine did meanwhile (the database server, other jobs).
        "other_cpu": ((cpu["end_machine"] - cpu["start_machine"])
                      - (cpu["end_server"] - cpu["start_server"])
                      - (cpu["end_client"] - cpu["start_client"])) / seconds,
    }


async def _serve_commands() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    factories: dict[int, EventFactory] = {}
    while True:
        line = await reader.readline()
        if not line:
            return  # the parent went away
        cmd = json.loads(line)
        if cmd.get("cmd") == "quit":
            return
        seeded = int(cmd["seeded"])
        factory = factories.get(seeded)
        if factory is None:
            factory = factories[seeded] = EventFactory(seeded)
        result = await run_load(cmd, factory)
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


def main() -> None:
    """Serve ``run`` commands from stdin until ``quit`` or EOF."""
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        runner(_serve_commands())
    os._exit(0)


if __name__ == "__main__":
    main()
