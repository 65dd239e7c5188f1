"""The load process of ``benchmarks/realtime.py``: visitor WebSockets and /v1/track calls.

It reads one JSON command a line on stdin and answers with one JSON line on stdout
(logs go to stderr). Commands, in the order the benchmark sends them:

  setup     host, port, write_key, compression: remember the server
  echo_open     open the dedicated echo socket (and warm it up)
  connect   n, batch: open visitor sockets ``bench-0`` .. ``bench-<n-1>`` in batches,
            reading each ``welcome`` frame; from then on every socket pings within the
            heartbeat and any close the benchmark did not ask for counts as a drop
  echo      samples: ``ping`` -> ``pong`` round trips on the echo socket, one at a time
  drive     rate, seconds: POST /v1/track for random connected visitors at ``rate``
            a second (open loop, keep-alive connections) and time each one from just
            before the POST to the ``decision`` frame on that visitor's socket; the echo
            socket keeps measuring round trips meanwhile
  status    sockets open, drops and their close codes
  close     close every socket (not a drop)
  quit
"""

from __future__ import annotations

import asyncio
import base64
import collections
import contextlib
import json
import os
import random
import resource
import sys
import time
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

PING = '{"type":"ping"}'


def _log(msg: str) -> None:
    sys.stderr.write(f"[ws-load] {msg}\n")
    sys.stderr.flush()


def raise_nofile() -> int:
    """Raise the open-file limit to the hard limit; the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        target = hard if hard != resource.RLIM_INFINITY else 1 << 20
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary_ms(values: list[float]) -> dict[str, Any]:
    """p50 / p90 / p99 / max in milliseconds of ``values`` (seconds)."""
    out: dict[str, Any] = {"samples": len(values)}
    for name, q in (("p50", 0.50), ("p90", 0.90), ("p99", 0.99), ("max", 1.0)):
        v = pct(values, q)
        out[name + "_ms"] = None if v is None else v * 1000
    out["mean_ms"] = sum(values) / len(values) * 1000 if values else None
    return out


class Visitor:
    """One visitor socket and what it waits for."""

    __slots__ = ("anon", "index", "pending", "task", "ws")

    def __init__(self, index: int, anon: str, ws: ClientConnection) -> None:
        self.index = index
        self.anon = anon
        self.ws = ws
        # one [sent, response] pair an event in flight (response 0 until it arrives)
        self.pending: collections.deque[list[float]] = collections.deque()
        self.task: asyncio.Task[None] | None = None


class Load:
    def __init__(self) -> None:
        self.host = "127.0.0.1"
        self.port = 0
        self.write_key = ""
        self.compression: str | None = "deflate"
        self.visitors: list[Visitor] = []
        self.open = 0
        self.closing = False
        self.dropped = 0
        self.close_codes: collections.Counter[str] = collections.Counter()
        self.heartbeat = 25.0
        self.keepalive: asyncio.Task[None] | None = None
        self.pings_sent = 0
        self.ping_errors = 0
        # the drive's measurements
        self.measuring = False
        self.frame_latencies: list[float] = []
        self.after_response: list[float] = []
        self.unexpected_frames = 0
        self.other_frames: collections.Counter[str] = collections.Counter()
        self.echo_ws: ClientConnection | None = None

    def url(self, anon: str | None = None) -> str:
        base = f"ws://{self.host}:{self.port}/ws/visitor?v=1&writeKey={self.write_key}"
        return f"{base}&anonymousId={anon or 'bench-echo'}"

    async def _open(self, anon: str) -> tuple[ClientConnection, dict[str, Any]]:
        ws = await connect(self.url(anon), ping_interval=None, open_timeout=60,
                           close_timeout=5, compression=self.compression, max_queue=64)
        try:
            first = await asyncio.wait_for(ws.recv(), 30)
            welcome = json.loads(first)
            if welcome.get("type") != "welcome":
                raise RuntimeError(f"expected a welcome frame, got {first[:200]!r}")
        except BaseException:
            with contextlib.suppress(Exception):
                await ws.close()
            raise
        return ws, welcome

    # -- visitors -----------------------------------------------------------------------
    async def _reader(self, v: Visitor) -> None:
        try:
            async for msg in v.ws:
                text = msg if isinstance(msg, str) else msg.decode()
                if text.startswith('{"type":"pong"'):
                    continue
                now = time.perf_counter()
                if text.startswith('{"type":"decision"'):
                    if v.pending:
                        started, answered = v.pending.popleft()
                        if self.measuring:
                            self.frame_latencies.append(now - started)
                            # > 0: the frame came after the HTTP response (by this much)
                            self.after_response.append(now - answered if answered else
                                                       -(now - started) / 1e6)
                    else:
                        self.unexpected_frames += 1
                else:
                    with contextlib.suppress(ValueError):
                        self.other_frames[str(json.loads(text).get("type"))] += 1
        except ConnectionClosed:
            pass
        finally:
            self.open -= 1
            if not self.closing:
                self.dropped += 1
                rcvd = v.ws.close_code
                self.close_codes[str(rcvd)] += 1

    async def connect(self, n: int, batch: int) -> dict[str, Any]:
        started = time.perf_counter()
        failures: collections.Counter[str] = collections.Counter()
        samples: list[str] = []
        first = len(self.visitors)

        async def one(i: int) -> None:
            anon = f"bench-{i}"
            try:
                ws, welcome = await self._open(anon)
            except Exception as exc:
                failures[type(exc).__name__] += 1
                if len(samples) < 3:
                    samples.append(repr(exc)[:300])
                return
            self.heartbeat = float(welcome.get("heartbeat") or self.heartbeat)
            v = Visitor(i, anon, ws)
            self.visitors.append(v)
            self.open += 1
            v.task = asyncio.create_task(self._reader(v))

        last_report = started
        for lo in range(first, first + n, batch):
            await asyncio.gather(*(one(i) for i in range(lo, min(lo + batch, first + n))))
            if time.perf_counter() - last_report > 5:
                last_report = time.perf_counter()
                _log(f"{len(self.visitors) - first:,} of {n:,} sockets open")
        seconds = time.perf_counter() - started
        if self.keepalive is None:
            self.keepalive = asyncio.create_task(self._keepalive())
        return {"connected": len(self.visitors) - first, "failed": sum(failures.values()),
                "failures": dict(failures), "failure_samples": samples, "seconds": seconds,
                "per_s": (len(self.visitors) - first) / seconds if seconds else 0.0,
                "heartbeat": self.heartbeat}

    async def _keepalive(self) -> None:
        """Each socket pings once every 0.8 x heartbeat, the pings spread evenly."""
        interval = self.heartbeat * 0.8
        tick = 0.05
        cursor = 0
        carry = 0.0
        while True:
            await asyncio.sleep(tick)
            socks = self.visitors
            if not socks:
                continue
            carry += len(socks) * tick / interval
            count, carry = int(carry), carry - int(carry)
            for _ in range(count):
                v = socks[cursor % len(socks)]
                cursor += 1
                if v.task is None or v.task.done():
                    continue
                try:
                    await v.ws.send(PING)
                    self.pings_sent += 1
                except ConnectionClosed:
                    self.ping_errors += 1

    # -- echo ---------------------------------------------------------------------------
    async def echo_open(self) -> dict[str, Any]:
        self.echo_ws, welcome = await self._open("bench-echo")
        warm = await self._echo_samples(200)
        return {"heartbeat": welcome.get("heartbeat"), "warmup": summary_ms(warm)}

    async def _echo_once(self) -> float:
        assert self.echo_ws is not None
        t0 = time.perf_counter()
        await self.echo_ws.send(PING)
        while True:
            msg = await asyncio.wait_for(self.echo_ws.recv(), 30)
            if isinstance(msg, str) and msg.startswith('{"type":"pong"'):
                return time.perf_counter() - t0

    async def _echo_samples(self, n: int, gap: float = 0.0) -> list[float]:
        out = []
        for _ in range(n):
            out.append(await self._echo_once())
            if gap:
                await asyncio.sleep(gap)
        return out

    async def echo(self, samples: int, gap: float) -> dict[str, Any]:
        return summary_ms(await self._echo_samples(samples, gap))

    # -- events -------------------------------------------------------------------------
    async def drive(self, rate: float, seconds: float, connections: int,
                    echo_gap: float, settle: float) -> dict[str, Any]:
        live = [v for v in self.visitors if v.task is not None and not v.task.done()]
        if not live:
            return {"error": "no visitor socket is open"}
        auth = base64.b64encode(f"{self.write_key}:".encode()).decode()
        head = (f"POST /v1/track HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                f"Authorization: Basic {auth}\r\nContent-Type: application/json\r\n"
                "Content-Length: ").encode()
        queue: asyncio.Queue[Visitor | None] = asyncio.Queue()
        http_lat: list[float] = []
        statuses: collections.Counter[int] = collections.Counter()
        errors: list[str] = []
        sent = 0
        for v in live:
            v.pending.clear()
        self.frame_latencies = []
        self.after_response = []
        self.unexpected_frames = 0
        rng = random.Random(7)

        async def http_worker() -> None:
            nonlocal sent
            reader, writer = await asyncio.open_connection(self.host, self.port)
            try:
                while True:
                    v = await queue.get()
                    if v is None:
                        return
                    body = json.dumps({"anonymousId": v.anon, "event": "bench_fire"}).encode()
                    data = b"%s%d\r\n\r\n%s" % (head, len(body), body)
                    t0 = time.perf_counter()
                    entry = [t0, 0.0]
                    v.pending.append(entry)
                    writer.write(data)
                    sent += 1
                    raw = await reader.readuntil(b"\r\n\r\n")
                    status = int(raw[9:12])
                    length = 0
                    for line in raw.lower().split(b"\r\n"):
                        if line.startswith(b"content-length:"):
                            length = int(line[15:])
                    payload = await reader.readexactly(length) if length else b""
                    entry[1] = time.perf_counter()
                    http_lat.append(entry[1] - t0)
                    statuses[status] += 1
                    if not 200 <= status < 300:
                        with contextlib.suppress(ValueError):
                            v.pending.remove(entry)  # no decision will come
                        if len(errors) < 3:
                            errors.append(f"{status}: {payload[:200].decode(errors='replace')}")
            finally:
                writer.close()

        echo_lat: list[float] = []
        stop_echo = asyncio.Event()

        async def echo_loop() -> None:
            while not stop_echo.is_set():
                echo_lat.append(await self._echo_once())
                await asyncio.sleep(echo_gap)

        lag: list[float] = []

        async def lag_probe() -> None:
            # how late this process's loop wakes up: the client's own share of every figure
            while not stop_echo.is_set():
                t = time.perf_counter()
                await asyncio.sleep(0.005)
                lag.append(time.perf_counter() - t - 0.005)

        workers = [asyncio.create_task(http_worker()) for _ in range(connections)]
        echo_task = asyncio.create_task(echo_loop())
        lag_task = asyncio.create_task(lag_probe())
        self.measuring = True
        t_start = time.perf_counter()
        due = t_start
        backlog_max = 0
        while True:
            now = time.perf_counter()
            if now - t_start >= seconds:
                break
            while due <= now:
                queue.put_nowait(live[rng.randrange(len(live))])
                due += 1.0 / rate
            backlog_max = max(backlog_max, queue.qsize())
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
        for _ in workers:
            queue.put_nowait(None)
        await asyncio.gather(*workers, return_exceptions=True)
        send_seconds = time.perf_counter() - t_start
        # the last decisions are on their way
        deadline = time.perf_counter() + settle
        while time.perf_counter() < deadline and any(v.pending for v in live):  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        self.measuring = False
        stop_echo.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(echo_task, 35)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(lag_task, 5)
        missing = sum(len(v.pending) for v in live)
        for v in live:
            v.pending.clear()
        ok = sum(c for s, c in statuses.items() if 200 <= s < 300)
        return {
            "sent": sent, "ok": ok, "statuses": {str(k): c for k, c in statuses.items()},
            "http_errors": errors, "send_seconds": send_seconds,
            "events_per_s": ok / send_seconds if send_seconds else 0.0,
            "max_backlog": backlog_max,
            "frames": len(self.frame_latencies), "missing_frames": missing,
            "unexpected_frames": self.unexpected_frames,
            "event_to_frame": summary_ms(self.frame_latencies),
            "http_response": summary_ms(http_lat),
            # the part of event -> frame after the HTTP response came back (the socket's
            # own work: claiming the decision, sending); frames that beat it count as 0
            "frame_after_response": summary_ms([max(0.0, x) for x in self.after_response]),
            "frames_before_response": sum(1 for x in self.after_response if x < 0),
            "echo_during": summary_ms(echo_lat),
            "client_loop_lag": summary_ms(lag),
            "other_frames": dict(self.other_frames),
        }

    # -- state --------------------------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return {"open": self.open, "opened": len(self.visitors), "dropped": self.dropped,
                "close_codes": dict(self.close_codes), "pings_sent": self.pings_sent,
                "ping_errors": self.ping_errors,
                "client_rss_mb": _rss_mb(), "nofile": resource.getrlimit(
                    resource.RLIMIT_NOFILE)[0]}

    async def close(self) -> dict[str, Any]:
        self.closing = True
        if self.keepalive is not None:
            self.keepalive.cancel()
        status = self.status()
        socks = [v.ws for v in self.visitors] + ([self.echo_ws] if self.echo_ws else [])
        for lo in range(0, len(socks), 500):
            await asyncio.gather(*(ws.close() for ws in socks[lo:lo + 500]),
                                 return_exceptions=True)
        return status


def _rss_mb() -> float:
    with contextlib.suppress(OSError), open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


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
                load.compression = cmd.get("compression") or None
                result = {"nofile": raise_nofile(), "pid": os.getpid()}
            elif what == "echo_open":
                result = await load.echo_open()
            elif what == "connect":
                result = await load.connect(int(cmd["n"]), int(cmd["batch"]))
            elif what == "echo":
                result = await load.echo(int(cmd["samples"]), float(cmd.get("gap", 0)))
            elif what == "drive":
                result = await load.drive(float(cmd["rate"]), float(cmd["seconds"]),
                                          int(cmd.get("connections", 32)),
                                          float(cmd.get("echo_gap", 0.01)),
                                          float(cmd.get("settle", 10)))
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
