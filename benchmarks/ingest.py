"""Ingestion benchmark: the tracking pipeline as a user runs it, against a no-op baseline.

Run it with ``make bench`` (which runs ``.venv/bin/python benchmarks/ingest.py``) or::

    .venv/bin/python benchmarks/ingest.py                  # both databases, full run
    .venv/bin/python benchmarks/ingest.py --quick          # short smoke run
    .venv/bin/python benchmarks/ingest.py --db sqlite --rounds 7 --seconds 8
    .venv/bin/python benchmarks/ingest.py --db postgresql --profile   # + py-spy profile

For each database (a temporary SQLite file; a fresh ``fw_bench_<pid>`` database on
postgresql://postgres@127.0.0.1:5432, dropped at the end) it does what a user does:
``floorwalker migrate``, ``floorwalker workspace create``, ``floorwalker site create``
(reading the printed write key), then ``floorwalker serve`` on 127.0.0.1 and a free port
with the no-op endpoint on and rate limits off. It stores ``--profiles`` visitors through
``/v1/batch`` (500 events a request), then a separate load-generator process
(``benchmarks/_load.py``, raw asyncio HTTP/1.1 keep-alive connections) measures, in
interleaved rounds, each round a warm-up plus ``--seconds`` of load:

  noop     POST /v1/noop, a one-event body: HTTP + body read only (the limit)
  batch1   POST /v1/batch with 1 event: the whole pipeline, per request
  batch20  POST /v1/batch with 20 events: the whole pipeline, per event

Events are realistic (page_view / view_item / add_to_cart / search with properties,
page url and referrer, userAgent, locale, distinct messageIds) and go to seeded
visitors (more of them than the profile cache holds, so hits and misses both happen),
to recently created visitors and to brand-new ones. Figures are medians over rounds;
latency is the median over rounds of each round's p50 and p99.

Targets: batch1 / noop >= 0.5x, batch20 >= 20,000 events/s, server peak RSS (VmHWM)
<= 1 GiB. Results go to ``benchmarks/results/ingest-<db>.json`` (``-quick.json`` for
``--quick``; the directory is git-ignored). The
server and the generator are always stopped (by pid), and the whole run has a hard
time limit (``--timeout``). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _load import EventFactory, seed_ids

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_SERVER_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
TARGET_RATIO = 0.5
TARGET_BATCH20_EPS = 20_000.0
TARGET_RSS_MB = 1024.0
SEED_BATCH = 500
SEED_CONCURRENCY = 8

console = Console(highlight=False)
if not console.is_terminal:  # piped to a file or CI log: do not wrap at 80 columns
    console = Console(highlight=False, width=150)


@dataclass(frozen=True)
class Scenario:
    """One kind of load: an endpoint and how many events each request carries."""

    name: str
    path: str
    events: int
    what: str


SCENARIOS = (
    Scenario("noop", "/v1/noop", 1, "no-op endpoint, 1-event body"),
    Scenario("batch1", "/v1/batch", 1, "/v1/batch, 1 event a request"),
    Scenario("batch20", "/v1/batch", 20, "/v1/batch, 20 events a request"),
)


class BenchTimeout(BaseException):
    """The hard overall time limit passed (a BaseException so nothing swallows it)."""


# -- processes ----------------------------------------------------------------------------

def _die_with_parent() -> None:
    """In the child: get SIGKILL if the benchmark dies without cleaning up (Linux)."""
    with contextlib.suppress(Exception):
        import ctypes
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _cli() -> str:
    found = Path(sys.executable).with_name("floorwalker")
    return str(found) if found.exists() else (shutil.which("floorwalker") or "floorwalker")


def run_cli(args: list[str], env: dict[str, str]) -> str:
    """Run ``floorwalker ARGS`` to completion; its stdout, or exit loudly."""
    proc = subprocess.run([_cli(), *args], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"floorwalker {' '.join(args)} failed ({proc.returncode}):\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def stop_process(proc: subprocess.Popen[Any], name: str, grace: float = 15.0) -> None:
    """SIGTERM the process by its pid, SIGKILL it after ``grace`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        console.print(f"[yellow]{name} (pid {proc.pid}) ignored SIGTERM; killing it[/yellow]")
        with contextlib.suppress(ProcessLookupError):
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def proc_status(pid: int, field: str) -> float:
    """A ``/proc/<pid>/status`` memory figure in MiB (0 when unavailable)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return 0.0


class Server:
    """``floorwalker serve`` in a subprocess, stopped by pid however the run ends."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.port = port
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [_cli(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent)
        self.pid = self.proc.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        url = f"http://127.0.0.1:{self.port}/healthz"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited ({self.proc.returncode}):\n"
                                   f"{self.log_tail()}")
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /healthz in {timeout:.0f}s")

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def stop(self) -> None:
        stop_process(self.proc, "the server")
        self._log.close()


class Generator:
    """The load-generator process (``_load.py``): one JSON command in, one result out."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / "_load.py")], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)

    def run(self, **cmd: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": "run", **cmd}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the load generator exited ({self.proc.poll()})")
        result: dict[str, Any] = json.loads(line)
        return result

    def stop(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=5)
        stop_process(self.proc, "the load generator", grace=5)


# -- databases ----------------------------------------------------------------------------

@contextlib.contextmanager
def database(kind: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database for the server; removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
        return
    import asyncpg

    name = f"fw_bench_{os.getpid()}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_SERVER_URL.format(name=name)
    finally:
        try:
            asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except Exception as exc:
            console.print(f"[yellow]could not drop database {name}: {exc}[/yellow]")


# -- seeding ------------------------------------------------------------------------------

def seed(port: int, write_key: str, profiles: int) -> dict[str, float]:
    """Store ``profiles`` visitors through /v1/batch (one event each), with a progress bar."""
    import httpx

    factory = EventFactory(profiles, seed=1)
    chunks = [(i, min(i + SEED_BATCH, profiles)) for i in range(0, profiles, SEED_BATCH)]
    started = time.perf_counter()
    with Progress(TextColumn("  [bold]seeding visitors"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[rate]}"), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task("seed", total=profiles, rate="")

        async def main() -> None:
            queue = list(reversed(chunks))
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                         auth=(write_key, ""), timeout=120) as client:
                async def worker() -> None:
                    while queue:
                        start, stop = queue.pop()
                        body = factory.body(stop - start, seed_ids(start, stop))
                        resp = await client.post("/v1/batch", content=body,
                                                 headers={"content-type": "application/json"})
                        if resp.status_code != 200 or resp.json().get("accepted") != stop - start:
                            raise RuntimeError(f"seeding failed: {resp.status_code} "
                                               f"{resp.text[:300]}")
                        bar.advance(task, stop - start)
                        done = bar.tasks[0].completed
                        rate = done / (time.perf_counter() - started)
                        bar.update(task, rate=f"{rate:,.0f} events/s")

                await asyncio.gather(*(worker() for _ in range(SEED_CONCURRENCY)))

        asyncio.run(main())
    seconds = time.perf_counter() - started
    return {"profiles": profiles, "seconds": seconds, "events_per_s": profiles / seconds}


# -- profiling ----------------------------------------------------------------------------

def _py_spy() -> str | None:
    found = Path(sys.executable).with_name("py-spy")
    return str(found) if found.exists() else shutil.which("py-spy")


def summarize_profile(path: Path, top: int = 15) -> dict[str, Any]:
    """Shares of the server's samples: per thread, per component, per function."""
    selfs: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    components: Counter[str] = Counter()
    threads: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        raw = stack.split(";")
        thread = "main"
        if raw and raw[0].startswith(("thread ", "process ")):
            # "thread (123): Thread-4 (_connection_worker_thread)" -> the kind of thread
            thread = re.sub(r"Thread-\d+ ", "", raw.pop(0).partition(": ")[2]) or "main"
        frames = [_frame(f) for f in raw if f.strip()]
        threads[thread] += n
        if frames:
            selfs[frames[-1]] += n
            components[_component(frames[-1])] += n
        for f in set(frames):
            inclusive[f] += n
    ours = [(f, n) for f, n in inclusive.most_common()
            if f.startswith("floorwalker/") and not f.startswith("floorwalker/cli.py")]

    def shares(pairs: list[tuple[str, int]]) -> list[tuple[str, float]]:
        return [(f, n / total) for f, n in pairs] if total else []

    return {"samples": total, "threads": shares(threads.most_common()),
            "components": shares(components.most_common(top)),
            "self": shares(selfs.most_common(top)),
            "inclusive_floorwalker": shares(ours[:top])}


_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::\d+)?\)$")


def _frame(raw: str) -> str:
    """``func (path/to/file.py:12)`` -> ``pkg/file.py:func`` with the path shortened."""
    raw = raw.strip()
    m = _FRAME.match(raw)
    if not m:
        return raw
    file = m["file"]
    for marker in ("site-packages/", "/src/", "lib/python3.11/", "lib/python3/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{file}:{m['func']}"


def _component(frame: str) -> str:
    """Who a leaf frame belongs to: a floorwalker module or a library."""
    file = frame.split(":", 1)[0]
    if file.startswith("floorwalker/"):
        return file.rsplit(".", 1)[0]
    if file.startswith("aiosqlite/"):
        return "aiosqlite worker thread (sqlite3 C code)"
    if file.startswith(("asyncio/", "uvloop/")):
        return "event loop (asyncio/uvloop)"
    return file.split("/", 1)[0].removesuffix(".py")


def profile_round(server: Server, gen: Generator, common: dict[str, Any], scenario: Scenario,
                  seconds: float, db: str) -> dict[str, Any] | None:
    """An extra, unmeasured round of ``scenario`` with py-spy recording the server."""
    spy = _py_spy()
    if spy is None:
        console.print("  [yellow]--profile: py-spy is not installed "
                      "(.venv/bin/pip install py-spy); skipped[/yellow]")
        return None
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"profile-{db}-{scenario.name}.txt"
    rec = subprocess.Popen(
        [spy, "record", "--pid", str(server.pid), "--rate", "200", "--format", "raw", "--threads",
         "--duration", str(max(1, int(seconds))), "--nonblocking", "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
    try:
        time.sleep(0.3)
        result = gen.run(**common, path=scenario.path,
                         events_per_request=scenario.events, seconds=seconds + 1)
        rec.wait(timeout=seconds + 30)
    finally:
        stop_process(rec, "py-spy", grace=5)
    if not out.exists():
        console.print(f"  [yellow]py-spy wrote nothing: "
                      f"{(rec.stderr.read() if rec.stderr else b'').decode()[:300]}[/yellow]")
        return None
    summary = summarize_profile(out)
    summary["file"] = str(out.relative_to(HERE.parent))
    summary["events_per_s_while_profiled"] = result["events_per_s"]
    return summary


def print_profile(summary: dict[str, Any], during: str = "batch20") -> None:
    """The py-spy profile summary as a table (realtime.py prints its own with it too)."""
    console.print(f"server profile during {during}: {summary['samples']} samples of the "
                  f"server's active threads ({summary['file']}); shares of all samples")
    console.print("  threads: " + ", ".join(f"{t} {v:.0%}" for t, v in summary["threads"]))
    table = Table(title_justify="left")
    for col in ("self time by component", "share", "self time by function", "share",
                "inclusive, floorwalker code", "share"):
        table.add_column(col, justify="right" if col == "share" else "left")
    cols = (summary["components"], summary["self"], summary["inclusive_floorwalker"])
    for i in range(max(len(c) for c in cols)):
        row: list[str] = []
        for c in cols:
            name, share = c[i] if i < len(c) else ("", None)
            row += [name, f"{share:.1%}" if share is not None else ""]
        table.add_row(*row)
    console.print(table)


# -- one database -------------------------------------------------------------------------

def bench_database(db: str, args: argparse.Namespace) -> dict[str, Any]:
    console.rule(f"[bold]{db}")
    background = machine_busy()
    if background > 0.25:
        console.print(f"  [yellow]warning: other processes keep {background:.1f} of "
                      f"{os.cpu_count()} cores busy; figures will be low and noisy[/yellow]")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fw-bench-")))
        url = stack.enter_context(database(db, workdir))
        env = {**os.environ, "FLOORWALKER_DATABASE_URL": url, "FLOORWALKER_ENABLE_NOOP": "true",
               "FLOORWALKER_RATE_LIMIT_PER_IP": "0", "FLOORWALKER_RATE_LIMIT_PER_KEY": "0",
               "FLOORWALKER_LOG_LEVEL": "warning", "COLUMNS": "200", "NO_COLOR": "1"}
        run_cli(["migrate"], env)
        run_cli(["workspace", "create", "bench"], env)
        created = run_cli(["site", "create", "--workspace", "bench", "shop"], env)
        match = re.search(r"write key\s+(\S+)", created)
        if not match:
            raise RuntimeError(f"no write key in the output of site create:\n{created}")
        write_key = match[1]

        port = free_port()
        server = Server(env, port, workdir / "server.log")
        stack.callback(server.stop)
        server.wait_ready()
        console.print(f"  server pid {server.pid} on 127.0.0.1:{port}, {url.split('://')[0]}")
        try:
            seeded = seed(port, write_key, args.profiles)
            console.print(f"  seeded {seeded['profiles']:,} visitors in "
                          f"{seeded['seconds']:.1f}s ({seeded['events_per_s']:,.0f} events/s)")
            gen = Generator()
            stack.callback(gen.stop)
            common = {"host": "127.0.0.1", "port": port, "write_key": write_key,
                      "connections": args.connections, "warmup": args.warmup,
                      "seeded": args.profiles, "server_pid": server.pid}
            rounds: dict[str, list[dict[str, Any]]] = {s.name: [] for s in SCENARIOS}
            for r in range(1, args.rounds + 1):
                for sc in SCENARIOS:
                    res = gen.run(**common, path=sc.path, events_per_request=sc.events,
                                  seconds=args.seconds)
                    res["server_rss_mb"] = proc_status(server.pid, "VmRSS")
                    rounds[sc.name].append(res)
                    if res["requests"] == 0:
                        raise RuntimeError(f"{sc.name}: no request completed "
                                           f"({res['errors']} errors: {res['error_samples']})")
                    print_round(f"{r}/{args.rounds}", sc.name, res)
                    if server.proc.poll() is not None:
                        raise RuntimeError(f"the server died:\n{server.log_tail()}")
            profile = None
            if args.profile:
                profile = profile_round(server, gen, common, SCENARIOS[2], args.seconds, db)
            peak_rss = proc_status(server.pid, "VmHWM")
        except BaseException:
            console.print(f"[red]server log tail:[/red]\n{server.log_tail()}")
            raise
    result = summarize(db, args, seeded, rounds, peak_rss)
    result["machine"]["busy_cores_before"] = background
    result["profile"] = profile
    print_database(result)
    if profile:
        print_profile(profile)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ingest-{db}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"  results written to {out.relative_to(HERE.parent)}")
    return result


def print_round(label: str, name: str, res: dict[str, Any]) -> None:
    err = f"  [red]{res['errors']} errors {res['error_samples'][:1]}[/red]" \
        if res["errors"] else ""
    console.print(
        f"  round {label} {name:8} {res['requests_per_s']:8,.0f} req/s "
        f"{res['events_per_s']:8,.0f} events/s  p50 {res['p50_ms']:6.1f} ms  "
        f"p99 {res['p99_ms']:6.1f} ms  CPU: server {res['server_cpu']:4.0%} "
        f"generator {res['client_cpu']:4.0%} other {res['other_cpu']:4.0%}{err}")


def machine_busy(seconds: float = 1.0) -> float:
    """Cores the machine keeps busy right now (other jobs skew every figure)."""
    def busy() -> tuple[float, float]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return sum(values[:8]) - values[3] - values[4], sum(values[:8])

    with contextlib.suppress(OSError, ValueError, IndexError):
        b0, t0 = busy()
        time.sleep(seconds)
        b1, t1 = busy()
        return (b1 - b0) / (t1 - t0) * (os.cpu_count() or 1) if t1 > t0 else 0.0
    return 0.0


def _median(rounds: list[dict[str, Any]], key: str) -> float:
    return statistics.median(r[key] for r in rounds)


def summarize(db: str, args: argparse.Namespace, seeded: dict[str, float],
              rounds: dict[str, list[dict[str, Any]]], peak_rss: float) -> dict[str, Any]:
    scenarios = {}
    for sc in SCENARIOS:
        rs = rounds[sc.name]
        scenarios[sc.name] = {
            "what": sc.what, "path": sc.path, "events_per_request": sc.events,
            "median": {k: _median(rs, k) for k in ("requests_per_s", "events_per_s", "p50_ms",
                                                     "p99_ms", "server_cpu", "client_cpu",
                                                     "other_cpu")},
            "errors": sum(r["errors"] for r in rs),
            "rounds": rs,
        }
    noop = scenarios["noop"]["median"]["requests_per_s"]
    full = scenarios["batch1"]["median"]["requests_per_s"]
    ratio = full / noop if noop else 0.0
    eps20 = scenarios["batch20"]["median"]["events_per_s"]
    return {
        "database": db,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "git": _git_rev(),
        "config": {"rounds": args.rounds, "seconds": args.seconds, "warmup": args.warmup,
                   "connections": args.connections, "profiles": args.profiles},
        "seeding": seeded,
        "scenarios": scenarios,
        "ratio_batch1_over_noop": ratio,
        "batch20_events_per_s": eps20,
        "peak_rss_mb": peak_rss,
        "targets": {
            "ratio": {"value": ratio, "target": f">= {TARGET_RATIO}x",
                      "met": ratio >= TARGET_RATIO},
            "batch20_events_per_s": {"value": eps20, "target": f">= {TARGET_BATCH20_EPS:,.0f}",
                                     "met": eps20 >= TARGET_BATCH20_EPS},
            "peak_rss_mb": {"value": peak_rss, "target": f"<= {TARGET_RSS_MB:,.0f} MiB",
                            "met": 0 < peak_rss <= TARGET_RSS_MB},
        },
    }


def _git_rev() -> str | None:
    with contextlib.suppress(Exception):
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=HERE.parent,
                             capture_output=True, text=True, timeout=5, check=False)
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=HERE.parent,
                               capture_output=True, text=True, timeout=5, check=False)
        return out.stdout.strip() + ("+dirty-src" if dirty.stdout.strip() else "")
    return None


def print_database(result: dict[str, Any]) -> None:
    cfg = result["config"]
    table = Table(title=f"{result['database']}: median of {cfg['rounds']} rounds x "
                        f"{cfg['seconds']:g}s, {cfg['connections']} connections, "
                        f"{cfg['profiles']:,} seeded visitors", title_justify="left")
    for col in ("scenario", "requests/s", "events/s", "p50 ms", "p99 ms", "server CPU",
                "client CPU", "other CPU", "errors", "events/s per round"):
        table.add_column(col, justify="left" if col in ("scenario", "events/s per round")
                         else "right")
    for name, sc in result["scenarios"].items():
        m = sc["median"]
        table.add_row(name, f"{m['requests_per_s']:,.0f}",
                      f"{m['events_per_s']:,.0f}", f"{m['p50_ms']:.1f}", f"{m['p99_ms']:.1f}",
                      f"{m['server_cpu']:.0%}", f"{m['client_cpu']:.0%}", f"{m['other_cpu']:.0%}",
                      str(sc["errors"]),
                      " ".join(f"{r['events_per_s']:,.0f}" for r in sc["rounds"]))
    console.print(table)
    for name, sc in result["scenarios"].items():
        console.print(f"  {name:8} = {sc['what']}")
    console.print(f"  batch1 / noop ratio {result['ratio_batch1_over_noop']:.2f}x   "
                  f"batch20 {result['batch20_events_per_s']:,.0f} events/s   "
                  f"server peak RSS {result['peak_rss_mb']:,.0f} MiB")


def print_summary(results: list[dict[str, Any]]) -> None:
    console.rule("[bold]summary")
    for res in results:
        t = res["targets"]
        lines = [
            ("full pipeline / no-op, 1-event requests", f"{t['ratio']['value']:.2f}x",
             t["ratio"]),
            ("events/s, 20-event batches", f"{t['batch20_events_per_s']['value']:,.0f}",
             t["batch20_events_per_s"]),
            ("server peak RSS (VmHWM)", f"{t['peak_rss_mb']['value']:,.0f} MiB",
             t["peak_rss_mb"]),
        ]
        console.print(f"[bold]{res['database']}[/bold]")
        for label, value, target in lines:
            verdict = "[green]target met[/green]" if target["met"] else \
                "[red]target NOT met[/red]"
            console.print(f"  {label:42} {value:>14}   (target {target['target']})  {verdict}")
        other = statistics.median(sc["median"]["other_cpu"] for sc in res["scenarios"].values())
        console.print(f"  other processes (database server, other jobs) kept {other:.1f} of "
                      f"{res['machine']['cpus']} cores busy while measuring (median)")
        for name, sc in res["scenarios"].items():
            m = sc["median"]
            console.print(f"  latency {name:8} p50 {m['p50_ms']:7.1f} ms   p99 "
                          f"{m['p99_ms']:7.1f} ms   ({m['requests_per_s']:,.0f} req/s, "
                          f"{m['events_per_s']:,.0f} events/s)")


# -- main ---------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--seconds", type=float, default=None, help="measured seconds a round (5)")
    p.add_argument("--rounds", type=int, default=None, help="rounds per scenario (5)")
    p.add_argument("--warmup", type=float, default=None,
                   help="unmeasured seconds before each round (1)")
    p.add_argument("--profiles", type=int, default=None,
                   help="visitor profiles stored before measuring (100000)")
    p.add_argument("--connections", type=int, default=64,
                   help="keep-alive connections of the load generator (64)")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 2 rounds x 1s, 2,000 profiles")
    p.add_argument("--profile", action="store_true",
                   help="add an unmeasured batch20 round recorded by py-spy")
    p.add_argument("--timeout", type=float, default=None,
                   help="hard limit for the whole run in seconds (default: estimated)")
    args = p.parse_args(argv)
    quick = {"seconds": 1.0, "rounds": 2, "warmup": 0.3, "profiles": 2000}
    full = {"seconds": 5.0, "rounds": 5, "warmup": 1.0, "profiles": 100_000}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.timeout is None:
        per_db = (60 + args.profiles / 500
                  + args.rounds * len(SCENARIOS) * (args.seconds + args.warmup + 2) * 2
                  + (args.seconds + 30 if args.profile else 0))
        args.timeout = 120 + per_db * (2 if args.db == "both" else 1)
    return args


def _on_alarm(_signum: int, _frame: Any) -> None:
    raise BenchTimeout


def _on_term(signum: int, _frame: Any) -> None:
    raise SystemExit(128 + signum)


def time_limit(seconds: float) -> None:
    """Stop the whole run after ``seconds`` (BenchTimeout), and on SIGTERM (SystemExit),
    so the ``finally`` blocks stop the processes a benchmark started."""
    signal.signal(signal.SIGALRM, _on_alarm)
    signal.signal(signal.SIGTERM, _on_term)
    signal.alarm(max(1, int(seconds)))


class LoadProcess:
    """A load script of this folder in a subprocess: one JSON command in, one JSON result
    out."""

    def __init__(self, script: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(HERE / script)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, preexec_fn=_die_with_parent)
        self.pid = self.proc.pid

    def __call__(self, cmd: str, **fields: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        self.proc.stdin.write(json.dumps({"cmd": cmd, **fields}) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the load process exited ({self.proc.poll()})")
        result: dict[str, Any] = json.loads(line)
        if "error" in result:
            raise RuntimeError(f"load process, {cmd}: {result['error']}")
        return result

    def stop(self) -> None:
        if self.proc.poll() is None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.write('{"cmd": "quit"}\n')
                self.proc.stdin.close()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(timeout=10)
        stop_process(self.proc, "the load process", grace=5)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    time_limit(args.timeout)
    dbs = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    console.print(f"Floorwalker ingestion benchmark: {', '.join(dbs)}; {args.rounds} rounds x "
                  f"{args.seconds:g}s (+{args.warmup:g}s warm-up), {args.connections} "
                  f"connections, {args.profiles:,} visitors; {os.cpu_count()} CPUs; "
                  f"hard limit {args.timeout:.0f}s")
    results = []
    try:
        for db in dbs:
            results.append(bench_database(db, args))
    except BenchTimeout:
        console.print(f"[red]hard time limit of {args.timeout:.0f}s reached; stopped[/red]")
        return 3
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        return 130
    finally:
        signal.alarm(0)
    print_summary(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())

