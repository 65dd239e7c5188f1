"""The load process of ``benchmarks/console.py``: agents' consoles, visitors' events, echo.

It reads one JSON command a line on stdin and answers with one JSON line on stdout
(logs go to stderr). Commands, in the order the benchmark sends them:

  setup      host, port, write_key, cookies (one ``fw_session`` value an agent),
             compression: remember the server
  populate   n, passes: make visitors ``seed-0`` .. ``seed-<n-1>`` live, ``passes``
             realistic events each, through ``/v1/batch`` (500 events a request)
  agents     open one ``/ws/agent`` socket per cookie (no Origin header, as a same-site
             browser tab is judged), read each ``welcome``; from then on every socket
             pings within the heartbeat, every frame is read at once, and any close the
             benchmark did not ask for counts as a drop
  echo_open  open the dedicated echo socket (a visitor socket) and warm it up
  echo       samples: ``ping`` -> ``pong`` round trips on the echo socket, one at a time
  list       samples: ``GET /api/live/visitors?limit=N`` one after the other, as agent 0
  drive      rate, probe_rate, seconds, probe_pool: background ``POST /v1/track`` calls
             (page views and add_to_cart) at ``rate`` a second for visitors outside the
             probe pool, plus ``probe_rate`` probes a second: a page view of a unique
             path ``/p/probe-<k>`` for a probe-pool visitor with nothing in flight, timed
             from just before its POST to the ``visitors`` frame carrying that path on
             each agent's socket; the echo socket keeps measuring round trips meanwhile,
             and with ``list_every`` the visitor list is fetched every so often too
  status     sockets open, drops and their close codes, frames read
  close      close every socket (not a drop)
  quit
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import gzip
import json
import os
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import CATEGORIES, LOCALES, REFERRERS, USER_AGENTS, EventFactory, seed_ids
from _ws_load import PING, _rss_mb, raise_nofile, summary_ms

SITE = "https://shop.example.com"
POPULATE_BATCH = 500


def _now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Agent:
    """One console socket and what it has read."""

    index: int
    ws: ClientConnection
    task: asyncio.Task[None] | None = None
    frames: int = 0
    visitor_frames: int = 0
    rows: int = 0
    bytes: int = 0
    kinds: collections.Counter[str] = field(default_factory=collections.Counter)


@dataclass
class Probe:
    """One measured event: when its POST started and which consoles have shown it."""

    started: float
    agents: int
    visitor: int
    answered: float = 0.0
    got: bytearray = field(default_factory=bytearray)
    count: int = 0
    first: float = 0.0
    last: float = 0.0

    def __post_init__(self) -> None:
        self.got = bytearray(self.agents)


class Load:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.write_key = ""
        self.cookies: list[str] = []
        self.compression: str | None = "deflate"
        self.agents: list[Agent] = []
        self.open = 0
        self.closing = False
        self.dropped = 0
        self.close_codes: collections.Counter[str] = collections.Counter()
        self.heartbeat = 25.0
        self.keepalive: asyncio.Task[None] | None = None
        self.pings_sent = 0
        self.ping_errors = 0
        self.echo_ws: ClientConnection | None = None
        # token (a unique path and its closing quote) -> the probe waiting for it
        self.pending: dict[str, Probe] = {}
        self.latencies: list[float] = []
        self.done: list[Probe] = []
        self.busy: set[int] = set()  # probe visitors with a probe in flight
        self.rng = random.Random(11)
        self.counter = 0
        self.probe_seq = 0

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- visitors ------------------------------------------------------------------------
    async def populate(self, n: int, passes: int) -> dict[str, Any]:
        """Every visitor gets ``passes`` realistic events (page views, products, carts)."""
        factory = EventFactory(n, seed=3)
        started = time.perf_counter()
        chunks = [(i, min(i + POPULATE_BATCH, n)) for p in range(passes)
                  for i in range(0, n, POPULATE_BATCH)]
        accepted = 0
        async with httpx.AsyncClient(base_url=self.base, auth=(self.write_key, ""),
                                     timeout=120) as client:
            for lo, hi in chunks:  # in order: a visitor's second event after its first
                resp = await client.post("/v1/batch", content=factory.body(hi - lo,
                                                                           seed_ids(lo, hi)),
                                         headers={"content-type": "application/json"})
                if resp.status_code != 200:
                    raise RuntimeError(f"/v1/batch: {resp.status_code} {resp.text[:300]}")
                accepted += int(resp.json().get("accepted", 0))
        seconds = time.perf_counter() - started
        return {"visitors": n, "events": accepted, "seconds": seconds,
                "events_per_s": accepted / seconds if seconds else 0.0}

    def _event(self, anon: str, probe: int | None = None) -> bytes:
        """A ``/v1/track`` body: a page view, a product view or an add_to_cart."""
        rng = self.rng
        self.counter += 1
        n = rng.randrange(1, 400)
        category = rng.choice(CATEGORIES)
        product: dict[str, Any] = {
            "item_id": f"SKU-{n:05d}", "item_name": f"{category[:-1]} model {n}",
            "item_category": category, "price": round(rng.uniform(9, 240), 2)}
        slug = f"{category[:-1].lower()}-model-{n}"
        if probe is not None:
            kind, path = "page_view", f"/p/probe-{probe}"
        else:
            kind = rng.choices(("page_view", "view_item", "add_to_cart"), (60, 20, 20))[0]
            path = f"/p/{slug}" if kind != "page_view" else rng.choice(
                ("/", "/sale", f"/c/{category.lower()}", f"/p/{slug}", "/cart"))
        title = f"{path.strip('/').replace('-', ' ').title() or 'Home'} | Example Shop"
        props: dict[str, Any]
        if kind == "page_view":
            props = {"title": title, "url": SITE + path, "path": path}
        elif kind == "view_item":
            props = {"currency": "EUR", "value": product["price"], "items": [product]}
        else:
            qty = rng.choice((1, 1, 2, 3))
            props = {"currency": "EUR", "value": round(product["price"] * qty, 2),
                     "items": [{**product, "quantity": qty}]}
        call = {"event": kind, "anonymousId": anon, "messageId": f"cb-{os.getpid()}-"
                f"{self.counter}", "timestamp": _now_iso(), "properties": props,
                "context": {"page": {"url": SITE + path, "path": path, "title": title,
                                     "referrer": rng.choice(REFERRERS)},
                            "userAgent": rng.choice(USER_AGENTS),
                            "locale": rng.choice(LOCALES)}}
        return json.dumps(call, separators=(",", ":")).encode()

    # -- agents --------------------------------------------------------------------------
    async def _open_agent(self, cookie: str) -> tuple[ClientConnection, dict[str, Any]]:
        ws = await connect(f"ws://{self.host}:{self.port}/ws/agent", ping_interval=None,
                           open_timeout=60, close_timeout=5, compression=self.compression,
                           max_queue=1024, max_size=1 << 24,
                           additional_headers={"Cookie": f"fw_session={cookie}"})
        try:
            first = await asyncio.wait_for(ws.recv(), 30)
            welcome = json.loads(first)
            if welcome.get("type") != "welcome":
                raise RuntimeError(f"expected a welcome frame, got {str(first)[:200]!r}")
        except BaseException:
            with contextlib.suppress(Exception):
                await ws.close()
            raise
        return ws, welcome

    async def open_agents(self) -> dict[str, Any]:
        started = time.perf_counter()
        results = await asyncio.gather(*(self._open_agent(c) for c in self.cookies),
                                       return_exceptions=True)
        failures = [repr(r)[:300] for r in results if isinstance(r, BaseException)]
        welcomes = []
        for r in results:
            if isinstance(r, BaseException):
                continue
            ws, welcome = r
            welcomes.append(welcome)
            agent = Agent(len(self.agents), ws)
            self.agents.append(agent)
            self.open += 1
            agent.task = asyncio.create_task(self._reader(agent))
        if welcomes:
            self.heartbeat = float(welcomes[0].get("heartbeat") or self.heartbeat)
        if self.keepalive is None:
            self.keepalive = asyncio.create_task(self._keepalive())
        return {"connected": len(self.agents), "failed": len(failures),
                "failure_samples": failures[:3], "seconds": time.perf_counter() - started,
                "heartbeat": self.heartbeat,
                "agent_ids": sum(1 for w in welcomes if w.get("agent_id"))}

    async def _reader(self, a: Agent) -> None:
        pending = self.pending
        try:
            async for msg in a.ws:
                now = time.perf_counter()
                text = msg if isinstance(msg, str) else msg.decode()
                a.frames += 1
                a.bytes += len(text)
                if text.startswith('{"type":"visitors"'):
                    a.visitor_frames += 1
                    if a.index == 0:
                        a.rows += text.count('{"id":"')
                    if pending:
                        for token, probe in list(pending.items()):
                            if not probe.got[a.index] and token in text:
                                self._seen(token, probe, a.index, now)
                elif text.startswith('{"type":"pong"'):
                    a.kinds["pong"] += 1
                else:
                    end = text.find('"', 9)
                    a.kinds[text[9:end] if end > 9 else "?"] += 1
        except ConnectionClosed:
            pass
        finally:
            self.open -= 1
            if not self.closing:
                self.dropped += 1
                self.close_codes[str(a.ws.close_code)] += 1

    def _seen(self, token: str, probe: Probe, index: int, now: float) -> None:
        probe.got[index] = 1
        probe.count += 1
        self.latencies.append(now - probe.started)
        if probe.count == 1:
            probe.first = now
        if probe.count == probe.agents:
            probe.last = now
            self.pending.pop(token, None)
            self.done.append(probe)
            self.busy.discard(probe.visitor)

    async def _keepalive(self) -> None:
        """Each console pings twice a heartbeat, the pings spread over the agents."""
        gap = self.heartbeat / 2 / max(1, len(self.agents))
        cursor = 0
        while True:
            await asyncio.sleep(gap)
            if not self.agents:
                continue
            a = self.agents[cursor % len(self.agents)]
            cursor += 1
            if a.task is None or a.task.done():
                continue
            try:
                await a.ws.send(PING)
                self.pings_sent += 1
            except ConnectionClosed:
                self.ping_errors += 1

    # -- echo ----------------------------------------------------------------------------
    async def echo_open(self) -> dict[str, Any]:
        url = (f"ws://{self.host}:{self.port}/ws/visitor?v=1&writeKey={self.write_key}"
               "&anonymousId=bench-echo")
        self.echo_ws = await connect(url, ping_interval=None, open_timeout=60, close_timeout=5,
                                     compression=self.compression, max_queue=64)
        welcome = json.loads(await asyncio.wait_for(self.echo_ws.recv(), 30))
        warm = [await self._echo_once() for _ in range(200)]
        return {"heartbeat": welcome.get("heartbeat"), "warmup": summary_ms(warm)}

    async def _echo_once(self) -> float:
        assert self.echo_ws is not None
        t0 = time.perf_counter()
        await self.echo_ws.send(PING)
        while True:
            msg = await asyncio.wait_for(self.echo_ws.recv(), 30)
            if isinstance(msg, str) and msg.startswith('{"type":"pong"'):
                return time.perf_counter() - t0

    async def echo(self, samples: int) -> dict[str, Any]:
        return summary_ms([await self._echo_once() for _ in range(samples)])

    # -- the visitor list ----------------------------------------------------------------
    async def _list_once(self, client: httpx.AsyncClient, limit: int,
                         parse: bool) -> dict[str, Any]:
        t0 = time.perf_counter()
        async with client.stream("GET", f"/api/live/visitors?limit={limit}") as resp:
            head = time.perf_counter()
            body = await resp.aread()
            full = time.perf_counter()
            wire = resp.num_bytes_downloaded
            out: dict[str, Any] = {
                "status": resp.status_code, "ttfb_s": head - t0, "full_s": full - t0,
                "bytes": len(body), "wire_bytes": wire,
                "content_encoding": resp.headers.get("content-encoding")}
        if parse and resp.status_code == 200:
            doc = json.loads(body)
            out["count"] = doc.get("count")
            out["rows"] = len(doc.get("visitors") or [])
            out["segments"] = {s["key"]: s["count"] for s in doc.get("segments") or []}
            # what the body would weigh if the server compressed it (it does not)
            out["gzip_bytes"] = len(gzip.compress(body, 6))
        elif resp.status_code != 200:
            out["error"] = body[:300].decode(errors="replace")
        return out

    def _list_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.base, timeout=60,
            headers={"Cookie": f"fw_session={self.cookies[0]}", "Accept-Encoding": "gzip",
                     "Accept": "application/json"})

    async def list_loads(self, samples: int, limit: int) -> dict[str, Any]:
        async with self._list_client() as client:
            loads = [await self._list_once(client, limit, parse=i in (0, samples - 1))
                     for i in range(samples)]
        return _list_summary(loads)

    # -- events --------------------------------------------------------------------------
    async def drive(self, rate: float, probe_rate: float, seconds: float, population: int,
                    probe_pool: int, connections: int, echo_gap: float, settle: float,
                    list_every: float, limit: int) -> dict[str, Any]:
        live = [a for a in self.agents if a.task is not None and not a.task.done()]
        n_agents = len(self.agents)
        auth = base64.b64encode(f"{self.write_key}:".encode()).decode()
        head = (f"POST /v1/track HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\n"
                "Content-Length: ").encode()
        background: asyncio.Queue[str | None] = asyncio.Queue()
        probes: asyncio.Queue[tuple[str, int] | None] = asyncio.Queue()
        http_lat: list[float] = []
        probe_http: list[float] = []
        statuses: collections.Counter[int] = collections.Counter()
        errors: list[str] = []
        sent = {"background": 0, "probes": 0}
        self.pending.clear()
        self.latencies = []
        self.done = []
        busy = self.busy
        busy.clear()
        frames0 = sum(a.visitor_frames for a in self.agents)
        a0_frames0, a0_rows0 = (self.agents[0].visitor_frames, self.agents[0].rows) \
            if self.agents else (0, 0)

        async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                           body: bytes) -> tuple[int, bytes]:
            writer.write(b"%s%d\r\n\r\n%s" % (head, len(body), body))
            raw = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in raw.lower().split(b"\r\n"):
                if line.startswith(b"content-length:"):
                    length = int(line[15:])
            payload = await reader.readexactly(length) if length else b""
            status = int(raw[9:12])
            statuses[status] += 1
            if not 200 <= status < 300 and len(errors) < 3:
                errors.append(f"{status}: {payload[:200].decode(errors='replace')}")
            return status, payload

        async def background_worker() -> None:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                while (anon := await background.get()) is not None:
                    body = self._event(anon)
                    t0 = time.perf_counter()
                    sent["background"] += 1
                    await exchange(reader, writer, body)
                    http_lat.append(time.perf_counter() - t0)
            finally:
                writer.close()

        async def probe_worker() -> None:
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                while (item := await probes.get()) is not None:
                    anon, k = item
                    body = self._event(anon, probe=k)
                    token = f'/p/probe-{k}"'
                    probe = Probe(time.perf_counter(), n_agents, int(anon[5:]))
                    self.pending[token] = probe
                    sent["probes"] += 1
                    status, _ = await exchange(reader, writer, body)
                    probe.answered = time.perf_counter()
                    probe_http.append(probe.answered - probe.started)
                    if not 200 <= status < 300:
                        self.pending.pop(token, None)  # no frame will come
                        self.busy.discard(probe.visitor)
            finally:
                writer.close()

        echo_lat: list[float] = []
        stop = asyncio.Event()

        async def echo_loop() -> None:
            while not stop.is_set():
                echo_lat.append(await self._echo_once())
                await asyncio.sleep(echo_gap)

        loads: list[dict[str, Any]] = []

        async def list_loop() -> None:
            async with self._list_client() as client:
                while not stop.is_set():
                    loads.append(await self._list_once(client, limit, parse=not loads))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), list_every)

        workers = [asyncio.create_task(background_worker()) for _ in range(connections)]
        probe_workers = [asyncio.create_task(probe_worker()) for _ in range(4)]
        side = [asyncio.create_task(echo_loop())]
        if list_every > 0:
            side.append(asyncio.create_task(list_loop()))
        rng = random.Random(int(rate * 1000 + probe_rate))
        bg_lo = min(probe_pool, population - 1)
        t_start = time.perf_counter()
        due_bg = due_probe = t_start
        backlog_max = 0
        while (now := time.perf_counter()) - t_start < seconds:
            while rate > 0 and due_bg <= now:
                background.put_nowait(f"seed-{rng.randrange(bg_lo, population)}")
                due_bg += 1.0 / rate
            while probe_rate > 0 and due_probe <= now:
                due_probe += 1.0 / probe_rate
                free = [i for i in (rng.randrange(probe_pool) for _ in range(8))
                        if i not in busy]
                if not free:
                    continue
                self.probe_seq += 1
                busy.add(free[0])
                probes.put_nowait((f"seed-{free[0]}", self.probe_seq))
            backlog_max = max(backlog_max, background.qsize())
            nxt = min(due_bg if rate > 0 else now + 1, due_probe if probe_rate > 0 else now + 1)
            await asyncio.sleep(max(0.0, min(nxt, t_start + seconds) - time.perf_counter()))
        for _ in workers:
            background.put_nowait(None)
        for _ in probe_workers:
            probes.put_nowait(None)
        await asyncio.gather(*workers, *probe_workers, return_exceptions=True)
        send_seconds = time.perf_counter() - t_start
        deadline = time.perf_counter() + settle
        while self.pending and time.perf_counter() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        stop.set()
        for task in side:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 60)
        missing_agents = sum(p.agents - p.count for p in self.pending.values())
        incomplete = len(self.pending)
        self.pending.clear()
        ok = sum(c for s, c in statuses.items() if 200 <= s < 300)
        frames = sum(a.visitor_frames for a in self.agents) - frames0
        a0_frames = (self.agents[0].visitor_frames - a0_frames0) if self.agents else 0
        a0_rows = (self.agents[0].rows - a0_rows0) if self.agents else 0
        return {
            "sent": sent, "ok": ok, "statuses": {str(s): c for s, c in statuses.items()},
            "http_errors": errors, "send_seconds": send_seconds,
            "events_per_s": ok / send_seconds if send_seconds else 0.0,
            "max_backlog": backlog_max, "agents_live": len(live),
            "probes_complete": len(self.done), "probes_incomplete": incomplete,
            "missing_agent_frames": missing_agents,
            "event_to_list": summary_ms(self.latencies),
            "event_to_first_console": summary_ms([p.first - p.started for p in self.done]),
            "event_to_last_console": summary_ms([p.last - p.started for p in self.done]),
            # the console's own part: from the HTTP response (the event committed) to the
            # last console's frame; frames that beat the response count as 0
            "last_console_after_response": summary_ms(
                [max(0.0, p.last - p.answered) for p in self.done if p.answered]),
            "probe_http_response": summary_ms(probe_http),
            "background_http_response": summary_ms(http_lat),
            "echo_during": summary_ms(echo_lat),
            "visitors_frames_per_agent_per_s": frames / max(1, n_agents) / send_seconds
            if send_seconds else 0.0,
            "rows_per_frame": a0_rows / a0_frames if a0_frames else 0.0,
            "list": _list_summary(loads) if loads else None,
        }

    # -- state ---------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        kinds: collections.Counter[str] = collections.Counter()
        for a in self.agents:
            kinds.update(a.kinds)
        return {"open": self.open, "opened": len(self.agents), "dropped": self.dropped,
                "close_codes": dict(self.close_codes), "pings_sent": self.pings_sent,
                "ping_errors": self.ping_errors,
                "frames": sum(a.frames for a in self.agents),
                "visitors_frames": sum(a.visitor_frames for a in self.agents),
                "bytes_read": sum(a.bytes for a in self.agents),
                "other_frames": dict(kinds), "client_rss_mb": _rss_mb()}

    async def close(self) -> dict[str, Any]:
        self.closing = True
        if self.keepalive is not None:
            self.keepalive.cancel()
        status = self.status()
        socks = [a.ws for a in self.agents] + ([self.echo_ws] if self.echo_ws else [])
        await asyncio.gather(*(ws.close() for ws in socks), return_exceptions=True)
        return status


def _list_summary(loads: list[dict[str, Any]]) -> dict[str, Any]:
    ok = [x for x in loads if x["status"] == 200]
    parsed = [x for x in ok if "count" in x]
    return {"samples": len(loads), "errors": len(loads) - len(ok),
            "error_samples": [x.get("error") for x in loads if x["status"] != 200][:2],
            "full": summary_ms([x["full_s"] for x in ok]),
            "full_each_ms": [round(x["full_s"] * 1000, 1) for x in loads],
            "ttfb": summary_ms([x["ttfb_s"] for x in ok]),
            "bytes": ok[-1]["bytes"] if ok else None,
            "wire_bytes": ok[-1]["wire_bytes"] if ok else None,
            "content_encoding": ok[-1]["content_encoding"] if ok else None,
            "count": parsed[-1]["count"] if parsed else None,
            "gzip_bytes": parsed[-1]["gzip_bytes"] if parsed else None,
            "rows": parsed[-1]["rows"] if parsed else None,
            "segments": parsed[-1]["segments"] if parsed else None}


async def serve() -> None:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    load = Load()
    while True:
        line = await reader.readline()
        if not line:
            return
        cmd = json.loads(line)
        what = cmd.pop("cmd")
        result: dict[str, Any]
        try:
            if what == "quit":
                return
            if what == "setup":
                load.host, load.port = cmd["host"], int(cmd["port"])
                load.write_key = cmd["write_key"]
                load.cookies = list(cmd["cookies"])
                load.compression = cmd.get("compression") or None
                result = {"nofile": raise_nofile(), "pid": os.getpid()}
            elif what == "populate":
                result = await load.populate(int(cmd["n"]), int(cmd.get("passes", 1)))
            elif what == "agents":
                result = await load.open_agents()
            elif what == "echo_open":
                result = await load.echo_open()
            elif what == "echo":
                result = await load.echo(int(cmd["samples"]))
            elif what == "list":
                result = await load.list_loads(int(cmd["samples"]), int(cmd["limit"]))
            elif what == "drive":
                result = await load.drive(
                    float(cmd["rate"]), float(cmd["probe_rate"]), float(cmd["seconds"]),
                    int(cmd["population"]), int(cmd["probe_pool"]),
                    int(cmd.get("connections", 16)), float(cmd.get("echo_gap", 0.01)),
                    float(cmd.get("settle", 10)), float(cmd.get("list_every", 0)),
                    int(cmd.get("limit", 5000)))
            elif what == "status":
                result = load.status()
            elif what == "close":
                result = await load.close()
            else:
                result = {"error": f"unknown command {what!r}"}
        except Exception as exc:
            result = {"error": repr(exc)[:500]}
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()


def main() -> None:
    raise_nofile()
    runner: Callable[..., Any]
    try:
        import uvloop
        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt, BrokenPipeError):
        runner(serve())
    os._exit(0)


if __name__ == "__main__":
    main()
