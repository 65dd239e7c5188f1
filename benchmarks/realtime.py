"""Real-time benchmark: many idle visitor WebSockets, and how fast decisions reach them.

Run it with::

    .venv/bin/python benchmarks/realtime.py                 # 10,000 sockets, 500 events/s, 20 s
    .venv/bin/python benchmarks/realtime.py --quick         # 1,000 sockets, 5 s
    .venv/bin/python benchmarks/realtime.py --connections 5000 --rate 200 --seconds 10
    .venv/bin/python benchmarks/realtime.py --profile       # + py-spy profile of the drive

It does what a user does: ``floorwalker migrate``, ``floorwalker workspace create``,
``floorwalker site create`` (reading the write key), ``floorwalker token create
--workspace``, then ``floorwalker serve`` on 127.0.0.1 and a free port (a temporary
SQLite file, rate limits off). Through the admin API it creates the scenario ``bench``
(a pop-up on the event ``bench_fire``, no agent needed, no per-session cap) and sets
``min_gap_seconds`` to 0 and ``max_proactive_per_session`` as high as the API allows.
The open-file limit is raised to the hard limit for the server and the load process.

A separate load process (``benchmarks/_ws_load.py``, asyncio + ``websockets``) then:

  1. opens one dedicated echo socket; the server's RSS is read (/proc/<pid>/status);
  2. opens ``--connections`` visitor sockets (``anonymousId=bench-<i>``) in batches,
     reading each ``welcome`` frame; every socket pings within the heartbeat from then
     on (the server closes sockets silent for 3 x 25 s); the server's RSS is read again:
     memory per idle connection = (RSS with N sockets - RSS before) / N;
  3. echo baseline: ``{"type":"ping"}`` -> ``{"type":"pong"}`` round trips on the echo
     socket, one at a time (the server's plain WebSocket echo);
  4. drives ``--rate`` events/s for ``--seconds``: ``POST /v1/track`` (write key, Basic
     auth, keep-alive connections) of ``bench_fire`` for random connected visitors, each
     timed from just before the POST to the ``decision`` frame on that visitor's socket;
     the echo socket keeps measuring round trips meanwhile (every 10 ms). Two figures say
     how far to trust the others: how late the load process's own loop wakes up (5 ms
     sleeps; its share of every latency), and how many cores other processes kept busy
     during the drive (on a 2-core machine anything above ~0.2 shows in every p99);
  5. keeps the sockets idle until they have been open longer than 3 heartbeats (full
     run; ``--hold``), so the keep-alive is exercised, and counts sockets the server
     closed: every close the benchmark did not ask for is a drop.

Targets: no socket dropped; <= 50 KB of server memory per idle connection; p99
event -> frame <= 3 x p99 echo round trip (judged against the echo measured during the
drive, i.e. under the same load; the ratio to the idle echo is reported too).
Results go to ``benchmarks/results/realtime.json`` (``realtime-quick.json`` for
``--quick``). The server and the load process are always stopped (by pid), and the
whole run has a hard time limit (``--timeout``). This is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import (
    BenchTimeout,
    LoadProcess,
    Server,
    _die_with_parent,
    _git_rev,
    _py_spy,
    console,
    free_port,
    machine_busy,
    print_profile,
    proc_status,
    run_cli,
    stop_process,
    summarize_profile,
    time_limit,
)

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
TARGET_KB_PER_CONN = 50.0
TARGET_P99_RATIO = 3.0

SCENARIO = {"key": "bench", "name": "bench", "trigger": {"event": "bench_fire"},
            "needs_agent": False, "caps": {"per_session": None},
            "action": {"type": "popup", "text": {"en": "hello"}}}


def raise_nofile() -> tuple[int, int]:
    """Raise this process's open-file limit to the hard limit (children inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if target > soft:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (0 when unreadable)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def machine_cpu_seconds() -> float:
    """Busy CPU seconds of the whole machine so far (all cores; 0 when unreadable)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def api(port: int, token: str, method: str, path: str, body: Any) -> tuple[int, Any]:
    """One admin API call; (status, decoded body)."""
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - http://127.0.0.1
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def configure(port: int, token: str) -> dict[str, Any]:
    """The bench scenario and permissive workspace settings, through the admin API."""
    status, out = api(port, token, "POST", "/api/scenarios", SCENARIO)
    if status not in (200, 201):
        raise RuntimeError(f"POST /api/scenarios: {status} {out}")
    wanted = {"min_gap_seconds": 0, "max_proactive_per_session": 1_000_000}
    status, out = api(port, token, "PATCH", "/api/workspace/settings", wanted)
    note = None
    if status == 422:  # the API caps max_proactive_per_session; use its maximum
        note = f"max_proactive_per_session 1,000,000 refused ({status}); used 100"
        wanted["max_proactive_per_session"] = 100
        status, out = api(port, token, "PATCH", "/api/workspace/settings", wanted)
    if status != 200:
        raise RuntimeError(f"PATCH /api/workspace/settings: {status} {out}")
    return {"scenario": SCENARIO, "settings": wanted, "note": note}


def fmt_ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def run(args: argparse.Namespace) -> dict[str, Any]:
    nofile = raise_nofile()
    background = machine_busy()
    if background > 0.25:
        console.print(f"  [yellow]warning: other processes keep {background:.1f} of "
                      f"{os.cpu_count()} cores busy; figures will be noisy[/yellow]")
    if nofile[0] < args.connections + 500:
        console.print(f"  [yellow]warning: open-file limit {nofile[0]} is low for "
                      f"{args.connections:,} sockets (hard limit {nofile[1]})[/yellow]")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fw-rt-")))
        env = {**os.environ,
               "FLOORWALKER_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'bench.db'}",
               "FLOORWALKER_RATE_LIMIT_PER_IP": "0", "FLOORWALKER_RATE_LIMIT_PER_KEY": "0",
               # Every simulated visitor connects from this one address.
               "FLOORWALKER_WS_MAX_SOCKETS_PER_ADDRESS": "0",
               "FLOORWALKER_LOG_LEVEL": "warning", "COLUMNS": "200", "NO_COLOR": "1"}
        run_cli(["migrate"], env)
        run_cli(["workspace", "create", "bench"], env)
        created = run_cli(["site", "create", "--workspace", "bench", "shop"], env)
        match = re.search(r"write key\s+(\S+)", created)
        if not match:
            raise RuntimeError(f"no write key in the output of site create:\n{created}")
        write_key = match[1]
        printed = run_cli(["token", "create", "--workspace", "bench"], env)
        tokens = re.findall(r"fw_adm_[A-Za-z0-9_-]+", printed)
        if not tokens:
            raise RuntimeError(f"no token in the output of token create:\n{printed}")
        token = tokens[-1]

        port = free_port()
        server = Server(env, port, workdir / "server.log")
        stack.callback(server.stop)
        server.wait_ready()
        console.print(f"  server pid {server.pid} on 127.0.0.1:{port} (SQLite); open-file "
                      f"limit {nofile[0]} (hard {nofile[1]})")
        try:
            config = configure(port, token)
            if config["note"]:
                console.print(f"  [yellow]{config['note']}[/yellow]")
            load = LoadProcess("_ws_load.py")
            stack.callback(load.stop)
            setup = load("setup", host="127.0.0.1", port=port, write_key=write_key,
                          compression=None if args.no_compression else "deflate")
            result = measure(args, server, load, setup)
        except BaseException:
            console.print(f"[red]server log tail:[/red]\n{server.log_tail()}")
            raise
        result["config"]["workspace"] = config
        result["server_log_tail"] = server.log_tail(10)
    result["machine"]["busy_cores_before"] = background
    result["machine"]["nofile"] = list(nofile)
    return result


def measure(args: argparse.Namespace, server: Server, load: LoadProcess,
            setup: dict[str, Any]) -> dict[str, Any]:
    pid = server.pid
    echo_open = load("echo_open")
    time.sleep(1.0)
    rss_before = proc_status(pid, "VmRSS")
    console.print(f"  echo socket open (warm-up p50 {fmt_ms(echo_open['warmup']['p50_ms'])} ms);"
                  f" server RSS before the sockets {rss_before:,.1f} MiB")

    console.print(f"  opening {args.connections:,} visitor sockets in batches of "
                  f"{args.batch} ...")
    cpu0 = cpu_seconds(pid)
    connected = load("connect", n=args.connections, batch=args.batch)
    opened_at = time.monotonic()
    connect_cpu = cpu_seconds(pid) - cpu0
    failures = f" {connected['failure_samples']}" if connected["failed"] else ""
    console.print(f"  {connected['connected']:,} connected, {connected['failed']:,} failed in "
                  f"{connected['seconds']:.1f}s ({connected['per_s']:,.0f}/s; server CPU "
                  f"{connect_cpu:.1f}s){failures}")
    time.sleep(args.settle)
    rss_with = proc_status(pid, "VmRSS")
    n = connected["connected"]
    kb_per_conn = (rss_with - rss_before) * 1024 / n if n else None
    console.print(f"  server RSS with {n:,} sockets {rss_with:,.1f} MiB -> "
                  f"{kb_per_conn or 0:.1f} KB per idle connection")

    echo_idle = load("echo", samples=args.echo_samples)
    console.print(f"  echo (idle): p50 {fmt_ms(echo_idle['p50_ms'])} ms, "
                  f"p99 {fmt_ms(echo_idle['p99_ms'])} ms over {echo_idle['samples']} round trips")

    console.print(f"  driving {args.rate:g} events/s for {args.seconds:g}s ...")
    spy = None
    profile_path = RESULTS / "profile-realtime.txt"
    if args.profile:
        spy_bin = _py_spy()
        if spy_bin is None:
            console.print("  [yellow]--profile: py-spy is not installed "
                          "(.venv/bin/pip install py-spy); skipped[/yellow]")
        else:
            RESULTS.mkdir(parents=True, exist_ok=True)
            spy = subprocess.Popen(
                [spy_bin, "record", "--pid", str(pid), "--rate", "200", "--format", "raw",
                 "--threads", "--duration", str(max(1, int(args.seconds))), "--nonblocking",
                 "-o", str(profile_path)],
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=_die_with_parent)
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    cpu_load0 = cpu_seconds(load.pid)
    machine0 = machine_cpu_seconds()
    drive = load("drive", rate=args.rate, seconds=args.seconds, connections=args.http_connections,
                 echo_gap=0.01, settle=10)
    server_cpu = (cpu_seconds(pid) - cpu0) / max(1e-9, time.monotonic() - t0)
    load_cpu = (cpu_seconds(load.pid) - cpu_load0) / max(1e-9, time.monotonic() - t0)
    # cores other processes kept busy meanwhile: on 2 cores any of it shows in the figures
    other_cpu = max(0.0, (machine_cpu_seconds() - machine0) / max(1e-9, time.monotonic() - t0)
                    - server_cpu - load_cpu)
    profile = None
    if spy is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            spy.wait(timeout=60)
        stop_process(spy, "py-spy", grace=5)
        if profile_path.exists():
            profile = summarize_profile(profile_path)
            profile["file"] = str(profile_path.relative_to(HERE.parent))
    rss_after_drive = proc_status(pid, "VmRSS")

    hold = args.hold
    if hold is None:
        hold = 0.0 if args.quick else max(0.0, 3 * float(connected["heartbeat"]) + 10
                                          - (time.monotonic() - opened_at))
    if hold > 0:
        console.print(f"  holding the sockets idle {hold:.0f}s more (open > 3 heartbeats) ...")
        time.sleep(hold)
    status = load("status")
    rss_end = proc_status(pid, "VmRSS")
    peak = proc_status(pid, "VmHWM")
    alive = server.proc.poll() is None
    closed = load("close")
    held_for = time.monotonic() - opened_at

    e2f, echo_during = drive["event_to_frame"], drive["echo_during"]
    r99_during = ratio(e2f["p99_ms"], echo_during["p99_ms"])
    r50_during = ratio(e2f["p50_ms"], echo_during["p50_ms"])
    r99_idle = ratio(e2f["p99_ms"], echo_idle["p99_ms"])
    r50_idle = ratio(e2f["p50_ms"], echo_idle["p50_ms"])
    dropped = status["dropped"] + connected["failed"]
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "git": _git_rev(),
        "config": {"connections": args.connections, "rate": args.rate, "seconds": args.seconds,
                   "batch": args.batch, "hold": hold, "quick": args.quick,
                   "http_connections": args.http_connections,
                   "compression": "none" if args.no_compression else "permessage-deflate",
                   "load_nofile": setup.get("nofile")},
        "sockets": {"requested": args.connections, "connected": n,
                    "connect_failed": connected["failed"],
                    "connect_failures": connected["failures"],
                    "connect_seconds": connected["seconds"], "connect_per_s": connected["per_s"],
                    "connect_server_cpu_s": connect_cpu,
                    "open_at_end": status["open"], "dropped": status["dropped"],
                    "close_codes": status["close_codes"], "held_seconds": held_for,
                    "pings_sent": status["pings_sent"], "ping_errors": status["ping_errors"],
                    "closed_by_benchmark": closed["open"]},
        "memory": {"rss_before_mb": rss_before, "rss_with_sockets_mb": rss_with,
                   "kb_per_idle_connection": kb_per_conn, "rss_after_drive_mb": rss_after_drive,
                   "rss_end_mb": rss_end, "peak_rss_mb": peak,
                   "load_process_rss_mb": status["client_rss_mb"]},
        "echo_idle": echo_idle,
        "drive": {**drive, "server_cpu": server_cpu, "load_cpu": load_cpu,
                  "other_cpu": other_cpu},
        "ratios": {"p99_vs_echo_during": r99_during, "p50_vs_echo_during": r50_during,
                   "p99_vs_echo_idle": r99_idle, "p50_vs_echo_idle": r50_idle},
        "server_alive": alive,
        "profile": profile,
        "targets": {
            "no_drop": {"value": dropped, "target": "0 dropped or refused", "met": dropped == 0
                        and n == args.connections and alive},
            "kb_per_connection": {"value": kb_per_conn,
                                  "target": f"<= {TARGET_KB_PER_CONN:g} KB",
                                  "met": kb_per_conn is not None
                                  and kb_per_conn <= TARGET_KB_PER_CONN},
            "p99_ratio": {"value": r99_during,
                          "target": f"p99 event->frame <= {TARGET_P99_RATIO:g}x p99 echo",
                          "met": r99_during is not None and r99_during <= TARGET_P99_RATIO
                          and drive["missing_frames"] == 0},
            "p99_ratio_idle_echo": {"value": r99_idle,
                                    "target": f"<= {TARGET_P99_RATIO:g}x p99 idle echo",
                                    "met": r99_idle is not None
                                    and r99_idle <= TARGET_P99_RATIO},
        },
    }


def print_result(res: dict[str, Any]) -> None:
    s, m, d = res["sockets"], res["memory"], res["drive"]
    cfg = res["config"]
    table = Table(title=f"realtime: {cfg['connections']:,} visitor sockets "
                        f"({cfg['compression']}), {cfg['rate']:g} events/s x "
                        f"{cfg['seconds']:g}s, SQLite, {res['machine']['cpus']} CPUs",
                  title_justify="left")
    table.add_column("measure", justify="left")
    table.add_column("value", justify="right")
    table.add_column("notes", justify="left")
    table.add_row("sockets connected", f"{s['connected']:,} / {s['requested']:,}",
                  f"{s['connect_per_s']:,.0f}/s, {s['connect_seconds']:.1f}s, "
                  f"server CPU {s['connect_server_cpu_s']:.1f}s")
    table.add_row("sockets dropped", f"{s['dropped']:,}",
                  f"close codes {s['close_codes'] or '-'}; open {s['held_seconds']:.0f}s, "
                  f"{s['pings_sent']:,} keep-alive pings")
    table.add_row("server RSS before / with sockets",
                  f"{m['rss_before_mb']:,.1f} / {m['rss_with_sockets_mb']:,.1f} MiB",
                  f"after the drive {m['rss_after_drive_mb']:,.1f} MiB, peak "
                  f"{m['peak_rss_mb']:,.1f} MiB")
    table.add_row("memory per idle connection", f"{m['kb_per_idle_connection'] or 0:.1f} KB",
                  "(RSS with N - RSS before) / N")
    for label, e in (("echo RTT, idle", res["echo_idle"]),
                     ("echo RTT, during the drive", d["echo_during"]),
                     ("POST /v1/track response", d["http_response"]),
                     ("event -> decision frame", d["event_to_frame"]),
                     ("  of which after the response", d["frame_after_response"]),
                     ("load process loop lag (5 ms sleeps)", d["client_loop_lag"])):
        table.add_row(f"{label} p50 / p99", f"{fmt_ms(e['p50_ms'])} / {fmt_ms(e['p99_ms'])} ms",
                      f"max {fmt_ms(e['max_ms'])} ms, {e['samples']:,} samples")
    r = res["ratios"]
    table.add_row("event->frame / echo (during)", f"p50 {_x(r['p50_vs_echo_during'])}  "
                  f"p99 {_x(r['p99_vs_echo_during'])}", "same load on the server")
    table.add_row("event->frame / echo (idle)", f"p50 {_x(r['p50_vs_echo_idle'])}  "
                  f"p99 {_x(r['p99_vs_echo_idle'])}", "")
    table.add_row("events", f"{d['events_per_s']:,.0f}/s",
                  f"{d['ok']:,} ok of {d['sent']:,} sent in {d['send_seconds']:.1f}s; "
                  f"statuses {d['statuses']}")
    table.add_row("decision frames", f"{d['frames']:,}",
                  f"missing {d['missing_frames']:,}, unexpected {d['unexpected_frames']:,}")
    table.add_row("CPU during the drive", f"server {d['server_cpu']:.0%}",
                  f"load process {d['load_cpu']:.0%}, other processes {d['other_cpu']:.0%}")
    console.print(table)
    if d.get("http_errors"):
        console.print(f"  [red]HTTP errors: {d['http_errors']}[/red]")
    if res.get("profile"):
        print_profile(res["profile"], during="the drive")


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def print_summary(res: dict[str, Any]) -> None:
    console.rule("[bold]summary")
    t, s, d = res["targets"], res["sockets"], res["drive"]
    lines = [
        ("no connection dropped", f"{s['dropped']:,} dropped, "
         f"{s['connect_failed']:,} refused", t["no_drop"]),
        ("server memory per idle connection", f"{t['kb_per_connection']['value'] or 0:.1f} KB",
         t["kb_per_connection"]),
        ("p99 event->frame / p99 echo (same load)", _x(t["p99_ratio"]["value"]),
         t["p99_ratio"]),
        ("p99 event->frame / p99 echo (idle)", _x(t["p99_ratio_idle_echo"]["value"]),
         t["p99_ratio_idle_echo"]),
    ]
    for label, value, target in lines:
        verdict = "[green]target met[/green]" if target["met"] else "[red]target NOT met[/red]"
        console.print(f"  {label:42} {value:>26}   (target {target['target']})  {verdict}")
    e = d["event_to_frame"]
    console.print(f"  event->frame p50 {fmt_ms(e['p50_ms'])} ms, p99 {fmt_ms(e['p99_ms'])} ms "
                  f"at {d['events_per_s']:,.0f} events/s; echo p99 "
                  f"{fmt_ms(d['echo_during']['p99_ms'])} ms during, "
                  f"{fmt_ms(res['echo_idle']['p99_ms'])} ms idle")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--connections", type=int, default=None,
                   help="idle visitor sockets (10000; --quick 1000)")
    p.add_argument("--rate", type=float, default=500.0, help="events a second (500)")
    p.add_argument("--seconds", type=float, default=None,
                   help="seconds of events (20; --quick 5)")
    p.add_argument("--quick", action="store_true", help="1,000 sockets, 5 s of events")
    p.add_argument("--batch", type=int, default=250, help="sockets opened at once (250)")
    p.add_argument("--hold", type=float, default=None,
                   help="idle seconds after the drive (default: until the sockets have been "
                        "open 3 heartbeats + 10 s; 0 for --quick)")
    p.add_argument("--settle", type=float, default=3.0,
                   help="seconds between opening the sockets and reading RSS (3)")
    p.add_argument("--echo-samples", type=int, default=2000,
                   help="idle echo round trips (2000)")
    p.add_argument("--http-connections", type=int, default=32,
                   help="keep-alive connections for POST /v1/track (32)")
    p.add_argument("--no-compression", action="store_true",
                   help="do not offer permessage-deflate (browsers offer it)")
    p.add_argument("--profile", action="store_true",
                   help="record the server with py-spy during the drive")
    p.add_argument("--timeout", type=float, default=None,
                   help="hard limit for the whole run in seconds (default: estimated)")
    args = p.parse_args(argv)
    if args.connections is None:
        args.connections = 1000 if args.quick else 10_000
    if args.seconds is None:
        args.seconds = 5.0 if args.quick else 20.0
    if args.timeout is None:
        args.timeout = (180 + args.connections / 50 + args.seconds * 2
                        + (args.hold if args.hold is not None else (0 if args.quick else 90)))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    time_limit(args.timeout)
    console.print(f"Floorwalker real-time benchmark: {args.connections:,} sockets, "
                  f"{args.rate:g} events/s x {args.seconds:g}s; {os.cpu_count()} CPUs; "
                  f"hard limit {args.timeout:.0f}s")
    try:
        result = run(args)
    except BenchTimeout:
        console.print(f"[red]hard time limit of {args.timeout:.0f}s reached; stopped[/red]")
        return 3
    except KeyboardInterrupt:
        console.print("[red]interrupted[/red]")
        return 130
    finally:
        signal.alarm(0)
    print_result(result)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"realtime{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"  results written to {out.relative_to(HERE.parent)}")
    print_summary(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
