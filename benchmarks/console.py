"""Console benchmark: the live visitor list with 5,000 visitors on the site and 50 agents.

Run it with::

    .venv/bin/python benchmarks/console.py                   # SQLite, 3 rounds
    .venv/bin/python benchmarks/console.py --quick           # 1,000 visitors, 10 agents
    .venv/bin/python benchmarks/console.py --db postgresql   # fresh database on 127.0.0.1:5432
    .venv/bin/python benchmarks/console.py --rate 200 --rounds 5 --seconds 20

It sets up what a shop has: a fresh database (``floorwalker migrate``; a temporary
SQLite file, or a fresh ``fw_bench_<pid>`` database on postgresql://postgres@127.0.0.1:5432,
dropped at the end), a workspace and a site, the ``ecommerce`` playbook (its departments,
segments and scenarios) and ``--agents`` agent accounts (invited, then their invitations
claimed with a password). ``floorwalker serve`` runs on 127.0.0.1 and a free port with
rate limits off; every agent logs in with ``POST /api/auth/login`` and keeps its
``fw_session`` cookie. A separate load process (``benchmarks/_console_load.py``, asyncio +
``websockets`` + ``httpx``) then:

  1. makes ``--visitors`` visitors live: two realistic events each through ``/v1/batch``
     (page views, product views, searches, carts; so some carts pass 500 and segments
     have members), before anybody looks at the list;
  2. opens a dedicated echo socket (a visitor socket), then loads the visitor list once,
     ``GET /api/live/visitors?limit=<visitors>`` as agent 0 (time to the full body): the
     very first load after start, reported apart since it warms the live index from the
     database (before any console socket, which would warm it too); the body's size;
  3. opens one ``/ws/agent`` socket per agent (the session cookie, no Origin header);
     every console pings within the heartbeat and reads every frame at once;
  4. echo baseline: ``{"type":"ping"}`` -> ``{"type":"pong"}`` round trips on the echo
     socket, one at a time (the server's plain WebSocket echo, as in ``realtime.py``);
  5. ``--rounds`` rounds, each: ``--list-samples`` list loads one after another (no
     traffic), then ``--seconds`` of traffic: ``--rate`` background ``POST /v1/track``
     calls a second (page views, product views, add_to_cart, for visitors outside the
     probe pool) plus ``--probe-rate`` probes a second: a page view of a unique path for
     a probe-pool visitor, timed from just before its POST to the ``visitors`` frame
     carrying that path on each agent's socket (one sample per agent and probe); the
     echo socket measures round trips all along (every 10 ms), under the same load;
  6. list loads under traffic: ``--rate`` background events for ``--seconds`` while
     agent 0 fetches the list every 0.5 s;
  7. the console's page weight: ``floorwalker.console.routes.page_weight()`` (raw and
     gzip bytes of the console's static files) and the same fetched over HTTP: /console/
     and every file it loads (its ``<link>``/``<script>`` tags, then the modules' static
     imports), with ``Accept-Encoding: gzip``.

Figures are medians over rounds of each round's p50 and p99. The ratio printed is
p99 (and p50) event -> list update / echo round trip measured during the same traffic;
the reference is ``realtime.py``'s target for event -> frame, 3x the echo. Results go to
``benchmarks/results/console-<db>.json`` (``-quick`` for ``--quick``). The server and
the load process are always stopped (by pid), and the whole run has a hard time limit
(``--timeout``). This is a benchmark, not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import platform
import re
import signal
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import (
    BenchTimeout,
    LoadProcess,
    Server,
    _git_rev,
    console,
    database,
    free_port,
    machine_busy,
    proc_status,
    run_cli,
    time_limit,
)
from realtime import _x, cpu_seconds, fmt_ms, ratio

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
REFERENCE_RATIO = 3.0  # realtime.py's target for event -> frame against the echo
PASSWORD = "console-bench-password-1"  # noqa: S105 - a throwaway account in a temp database
WORKSPACE = "bench"


# -- setting up -----------------------------------------------------------------------------

async def _setup_database(url: str, agents: int) -> dict[str, Any]:
    """Workspace, site, the ecommerce playbook and ``agents`` agents with a password."""
    from floorwalker.accounts import actions
    from floorwalker.accounts.passwords import hash_password
    from floorwalker.rules import io
    from floorwalker.store.engine import make_engine
    from floorwalker.tenancy import service

    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            ws = await service.create_workspace(conn, WORKSPACE, "Bench shop")
            site = await service.create_site(conn, ws.id, "shop", "shop.example.com")
            plan = await io.apply(conn, ws.id, io.load_playbook("ecommerce"))
        password_hash = await hash_password(PASSWORD)  # one hash: the same password for all
        emails = [f"agent{i:03d}@shop.example.com" for i in range(agents)]
        async with engine.begin() as conn:
            now = time.time()
            for i, email in enumerate(emails):
                _account, link = await actions.invite(conn, ws.id, email, f"Agent {i}",
                                                      "agent", max_chats=3)
                token = link.removeprefix(actions.ACCEPT_PATH)
                await actions.claim_invitation(conn, token, password_hash, now)
    finally:
        await engine.dispose()
    return {"workspace_id": ws.id, "write_key": site.write_key, "emails": emails,
            "rules": len(plan.changes)}


def login(port: int, emails: list[str]) -> tuple[list[str], float]:
    """Every agent logs in as the console does; their ``fw_session`` cookies."""
    cookies = []
    started = time.perf_counter()
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
        for email in emails:
            resp = client.post("/api/auth/login", json={
                "workspace": WORKSPACE, "email": email, "password": PASSWORD})
            if resp.status_code != 200 or "fw_session" not in resp.cookies:
                raise RuntimeError(f"login {email}: {resp.status_code} {resp.text[:300]}")
            cookies.append(resp.cookies["fw_session"])
            client.cookies.clear()
    return cookies, time.perf_counter() - started


# -- the console's page weight ----------------------------------------------------------------

_TAG_REF = re.compile(r"""(?:href|src)=["'](/console/static/[^"']+)["']""")
_IMPORT = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(?\s*)["'](\./[^"']+)["']""")
_URL_REF = re.compile(r"""["'(](/console/static/[^"')?#]+)""")


def page_weight_http(port: int) -> dict[str, Any]:
    """/console/ and everything it loads, fetched with ``Accept-Encoding: gzip``."""
    files: dict[str, dict[str, Any]] = {}
    todo = ["/console/"]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        while todo:
            path = todo.pop(0)
            if path in files:
                continue
            with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as resp:
                wire = b"".join(resp.iter_raw())  # as sent: still compressed
                encoding = resp.headers.get("content-encoding")
            body = gzip.decompress(wire) if encoding == "gzip" else wire
            files[path] = {"status": resp.status_code, "raw": len(body), "wire": len(wire),
                           "encoding": encoding}
            text = body.decode(errors="replace")
            refs = set(_TAG_REF.findall(text)) | set(_URL_REF.findall(text))
            if path.endswith(".js"):
                refs |= {"/console/static/" + m[2:] for m in _IMPORT.findall(text)}
            todo += sorted(r for r in refs if r not in files)
    return {"files": files, "raw": sum(f["raw"] for f in files.values()),
            "wire": sum(f["wire"] for f in files.values()),
            "not_gzipped": [p for p, f in files.items() if f["encoding"] != "gzip"],
            "errors": [p for p, f in files.items() if f["status"] != 200]}


def page_weight_static() -> dict[str, Any]:
    from floorwalker.console.routes import STATIC, page_weight
    raw, gz = page_weight()
    return {"raw": raw, "gzip": gz, "files": sorted(p.name for p in STATIC.iterdir())}


# -- the run --------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> dict[str, Any]:
    background = machine_busy()
    if background > 0.25:
        console.print(f"  [yellow]warning: other processes keep {background:.1f} of "
                      f"{os.cpu_count()} cores busy; figures will be noisy[/yellow]")
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fw-console-")))
        url = stack.enter_context(database(args.db, workdir))
        env = {**os.environ, "FLOORWALKER_DATABASE_URL": url,
               "FLOORWALKER_RATE_LIMIT_PER_IP": "0", "FLOORWALKER_RATE_LIMIT_PER_KEY": "0",
               "FLOORWALKER_LOG_LEVEL": "warning", "COLUMNS": "200", "NO_COLOR": "1"}
        t0 = time.perf_counter()
        run_cli(["migrate"], env)
        setup = asyncio.run(_setup_database(url, args.agents))
        console.print(f"  database ready in {time.perf_counter() - t0:.1f}s: workspace, site, "
                      f"ecommerce playbook ({setup['rules']} items), {args.agents} agents")

        port = free_port()
        server = Server(env, port, workdir / "server.log")
        stack.callback(server.stop)
        server.wait_ready()
        console.print(f"  server pid {server.pid} on 127.0.0.1:{port} ({args.db})")
        try:
            cookies, login_s = login(port, setup["emails"])
            console.print(f"  {len(cookies)} agents logged in ({login_s:.1f}s)")
            load = LoadProcess("_console_load.py")
            stack.callback(load.stop)
            load("setup", host="127.0.0.1", port=port, write_key=setup["write_key"],
                 cookies=cookies, compression=None if args.no_compression else "deflate")
            result = measure(args, server, load, port)
            result["setup"] = {"login_seconds": login_s, "rules_items": setup["rules"]}
        except BaseException:
            console.print(f"[red]server log tail:[/red]\n{server.log_tail()}")
            raise
        result["server_log_tail"] = server.log_tail(10)
    result["machine"]["busy_cores_before"] = background
    return result


def measure(args: argparse.Namespace, server: Server, load: LoadProcess,
            port: int) -> dict[str, Any]:
    pid = server.pid
    populated = load("populate", n=args.visitors, passes=2)
    console.print(f"  {populated['visitors']:,} visitors made live: {populated['events']:,} "
                  f"events in {populated['seconds']:.1f}s")
    echo_open = load("echo_open")
    console.print(f"  echo socket open (warm-up p50 {fmt_ms(echo_open['warmup']['p50_ms'])} ms)")
    # Before any console socket: the first socket warms the index too (and its welcome
    # waits for it), so the list's first load is only the first after start this way.
    first = load("list", samples=1, limit=args.visitors)
    f = first["full"]
    console.print(f"  first list load (warms the index): {fmt_ms(f['p50_ms'])} ms, "
                  f"{first['rows']:,} rows of {first['count']:,} live, "
                  f"{first['bytes']:,} bytes")
    agents = load("agents")
    fails = f" {agents['failure_samples']}" if agents["failed"] else ""
    console.print(f"  {agents['connected']} agent sockets open ({agents['failed']} failed, "
                  f"{agents['seconds']:.2f}s; heartbeat {agents['heartbeat']:g}s){fails}")
    echo_idle = load("echo", samples=args.echo_samples)
    console.print(f"  echo (idle): p50 {fmt_ms(echo_idle['p50_ms'])} ms, "
                  f"p99 {fmt_ms(echo_idle['p99_ms'])} ms over {echo_idle['samples']} round trips")

    pool = max(10, min(args.visitors // 10, 500))
    rounds = []
    for r in range(1, args.rounds + 1):
        idle_list = load("list", samples=args.list_samples, limit=args.visitors)
        cpu0, lcpu0, t0 = cpu_seconds(pid), cpu_seconds(load.pid), time.monotonic()
        drive = load("drive", rate=args.rate, probe_rate=args.probe_rate, seconds=args.seconds,
                     population=args.visitors, probe_pool=pool, connections=16, settle=10)
        elapsed = max(1e-9, time.monotonic() - t0)
        drive["server_cpu"] = (cpu_seconds(pid) - cpu0) / elapsed
        drive["load_cpu"] = (cpu_seconds(load.pid) - lcpu0) / elapsed
        e, echo = drive["event_to_list"], drive["echo_during"]
        rnd: dict[str, Any] = {"list_idle": idle_list, "drive": drive,
               "ratio_p99": ratio(e["p99_ms"], echo["p99_ms"]),
               "ratio_p50": ratio(e["p50_ms"], echo["p50_ms"])}
        rounds.append(rnd)
        lf = idle_list["full"]
        console.print(
            f"  round {r}/{args.rounds}: list p50 {fmt_ms(lf['p50_ms'])} / p99 "
            f"{fmt_ms(lf['p99_ms'])} ms | {drive['events_per_s']:.0f} events/s, "
            f"event->list p50 {fmt_ms(e['p50_ms'])} / p99 {fmt_ms(e['p99_ms'])} ms "
            f"({e['samples']:,} samples), echo p50 {fmt_ms(echo['p50_ms'])} / p99 "
            f"{fmt_ms(echo['p99_ms'])} ms -> p99 {_x(rnd['ratio_p99'])} | CPU server "
            f"{drive['server_cpu']:.0%}, load {drive['load_cpu']:.0%}")
        if server.proc.poll() is not None:
            raise RuntimeError(f"the server died:\n{server.log_tail()}")

    busy = load("drive", rate=args.rate, probe_rate=0, seconds=args.seconds,
                population=args.visitors, probe_pool=pool, connections=16, settle=2,
                list_every=0.5, limit=args.visitors)
    bl = busy["list"]["full"]
    console.print(f"  list under {busy['events_per_s']:.0f} events/s: p50 {fmt_ms(bl['p50_ms'])}"
                  f" / p99 {fmt_ms(bl['p99_ms'])} ms over {bl['samples']} loads")

    weight = page_weight_static()
    over_http = page_weight_http(port)
    status = load("status")
    alive = server.proc.poll() is None
    peak = proc_status(pid, "VmHWM")
    load("close")
    return summarize(args, populated, agents, first, echo_idle, rounds, busy, weight,
                     over_http, status, alive, peak)


def _med(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return statistics.median(known) if known else None


def summarize(args: argparse.Namespace, populated: dict[str, Any], agents: dict[str, Any],
              first: dict[str, Any], echo_idle: dict[str, Any], rounds: list[dict[str, Any]],
              busy: dict[str, Any], weight: dict[str, Any], over_http: dict[str, Any],
              status: dict[str, Any], alive: bool, peak: float) -> dict[str, Any]:
    def med(path: str) -> float | None:
        out = []
        for r in rounds:
            node: Any = r
            for key in path.split("."):
                node = node.get(key) if isinstance(node, dict) else None
            out.append(node)
        return _med(out)

    medians = {
        "list_idle_p50_ms": med("list_idle.full.p50_ms"),
        "list_idle_p99_ms": med("list_idle.full.p99_ms"),
        "list_idle_ttfb_p50_ms": med("list_idle.ttfb.p50_ms"),
        "event_to_list_p50_ms": med("drive.event_to_list.p50_ms"),
        "event_to_list_p99_ms": med("drive.event_to_list.p99_ms"),
        "event_to_last_console_p99_ms": med("drive.event_to_last_console.p99_ms"),
        "after_response_p50_ms": med("drive.last_console_after_response.p50_ms"),
        "after_response_p99_ms": med("drive.last_console_after_response.p99_ms"),
        "probe_http_p50_ms": med("drive.probe_http_response.p50_ms"),
        "probe_http_p99_ms": med("drive.probe_http_response.p99_ms"),
        "echo_during_p50_ms": med("drive.echo_during.p50_ms"),
        "echo_during_p99_ms": med("drive.echo_during.p99_ms"),
        "ratio_p99": med("ratio_p99"), "ratio_p50": med("ratio_p50"),
        "events_per_s": med("drive.events_per_s"),
        "server_cpu": med("drive.server_cpu"), "load_cpu": med("drive.load_cpu"),
        "visitors_frames_per_agent_per_s": med("drive.visitors_frames_per_agent_per_s"),
        "rows_per_frame": med("drive.rows_per_frame"),
    }
    missing = sum(r["drive"]["missing_agent_frames"] for r in rounds)
    return {
        "database": args.db,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "git": _git_rev(),
        "config": {"visitors": args.visitors, "agents": args.agents, "rate": args.rate,
                   "probe_rate": args.probe_rate, "seconds": args.seconds,
                   "rounds": args.rounds, "list_samples": args.list_samples,
                   "compression": "none" if args.no_compression else "permessage-deflate",
                   "quick": args.quick},
        "populate": populated, "agents": agents,
        "first_list_load": first, "echo_idle": echo_idle,
        "rounds": rounds, "medians": medians, "list_under_traffic": busy,
        "page_weight": {"page_weight()": weight, "http": over_http},
        "sockets": status, "server_alive": alive, "server_peak_rss_mb": peak,
        "missing_agent_frames": missing,
        "reference": {"ratio": REFERENCE_RATIO,
                      "p99_within": medians["ratio_p99"] is not None
                      and medians["ratio_p99"] <= REFERENCE_RATIO and missing == 0},
    }


# -- printing -------------------------------------------------------------------------------

def _kb(n: int | None) -> str:
    return "-" if n is None else f"{n / 1024:,.1f} KiB"


def print_result(res: dict[str, Any]) -> None:
    cfg, m = res["config"], res["medians"]
    table = Table(title=f"console: {cfg['visitors']:,} live visitors, {cfg['agents']} agents "
                        f"({cfg['compression']}), {cfg['rate']:g} + {cfg['probe_rate']:g} "
                        f"probe events/s, median of {cfg['rounds']} rounds x "
                        f"{cfg['seconds']:g}s, {res['database']}, {res['machine']['cpus']} CPUs",
                  title_justify="left")
    table.add_column("measure", justify="left")
    table.add_column("value", justify="right")
    table.add_column("notes", justify="left")
    first = res["first_list_load"]
    table.add_row("list, first load (warms the index)",
                  f"{fmt_ms(first['full']['p50_ms'])} ms",
                  f"{first['rows']:,} rows of {first['count']:,} live; time to first byte "
                  f"{fmt_ms(first['ttfb']['p50_ms'])} ms")
    table.add_row("list response size", _kb(first["bytes"]),
                  f"{first['bytes'] / max(1, first['rows']):,.0f} bytes a row; on the wire "
                  f"{first['wire_bytes']:,} bytes, Content-Encoding "
                  f"{first['content_encoding'] or 'none'} (Accept-Encoding: gzip sent); "
                  f"gzipped it would be {_kb(first['gzip_bytes'])}")
    table.add_row("list load, no traffic p50 / p99",
                  f"{fmt_ms(m['list_idle_p50_ms'])} / {fmt_ms(m['list_idle_p99_ms'])} ms",
                  f"{cfg['list_samples']} loads a round; time to first byte p50 "
                  f"{fmt_ms(m['list_idle_ttfb_p50_ms'])} ms")
    bl = res["list_under_traffic"]["list"]
    table.add_row("list load, under traffic p50 / p99",
                  f"{fmt_ms(bl['full']['p50_ms'])} / {fmt_ms(bl['full']['p99_ms'])} ms",
                  f"{bl['samples']} loads at "
                  f"{res['list_under_traffic']['events_per_s']:.0f} events/s")
    for label, p50, p99, note in (
            ("echo RTT, idle", res["echo_idle"]["p50_ms"], res["echo_idle"]["p99_ms"],
             f"{res['echo_idle']['samples']:,} round trips"),
            ("echo RTT, during traffic", m["echo_during_p50_ms"], m["echo_during_p99_ms"],
             "every 10 ms on a visitor socket"),
            ("event -> list update (each console)", m["event_to_list_p50_ms"],
             m["event_to_list_p99_ms"], "POST start -> visitors frame with the row"),
            ("POST /v1/track response (probes)", m["probe_http_p50_ms"],
             m["probe_http_p99_ms"], "the event committed; the frame follows")):
        table.add_row(f"{label} p50 / p99", f"{fmt_ms(p50)} / {fmt_ms(p99)} ms", note)
    table.add_row("event -> all consoles updated p99",
                  f"{fmt_ms(m['event_to_last_console_p99_ms'])} ms", "the last of the agents")
    table.add_row("  of which after the HTTP response p50 / p99",
                  f"{fmt_ms(m['after_response_p50_ms'])} / {fmt_ms(m['after_response_p99_ms'])}"
                  " ms", "committed -> the last console's frame (0 if before)")
    table.add_row("event->list / echo (same traffic)",
                  f"p50 {_x(m['ratio_p50'])}  p99 {_x(m['ratio_p99'])}",
                  f"reference {REFERENCE_RATIO:g}x (realtime.py's target)")
    samples = sum(r["drive"]["event_to_list"]["samples"] for r in res["rounds"])
    table.add_row("traffic", f"{m['events_per_s']:.0f} events/s",
                  f"{samples:,} event->list samples; {m['visitors_frames_per_agent_per_s']:.1f}"
                  f" visitors frames/s per console, {m['rows_per_frame']:.1f} rows a frame; "
                  f"missing {res['missing_agent_frames']}")
    table.add_row("CPU during traffic", f"server {m['server_cpu']:.0%}",
                  f"load process {m['load_cpu']:.0%}")
    s = res["sockets"]
    table.add_row("agent sockets dropped", f"{s['dropped']}",
                  f"close codes {s['close_codes'] or '-'}; {s['pings_sent']} keep-alive pings; "
                  f"{s['visitors_frames']:,} visitors frames, "
                  f"{s['bytes_read'] / 1e6:,.1f} MB read")
    w, h = res["page_weight"]["page_weight()"], res["page_weight"]["http"]
    table.add_row("console page weight, page_weight()", f"{_kb(w['raw'])} / {_kb(w['gzip'])}",
                  f"raw / gzip, {len(w['files'])} files in console/static")
    table.add_row("console page weight, over HTTP", f"{_kb(h['raw'])} / {_kb(h['wire'])}",
                  f"raw / on the wire, {len(h['files'])} requests from /console/"
                  + (f"; not gzipped: {h['not_gzipped']}" if h["not_gzipped"] else ""))
    table.add_row("server peak RSS", f"{res['server_peak_rss_mb']:,.0f} MiB", "VmHWM")
    console.print(table)
    for r, rnd in enumerate(res["rounds"], 1):
        d = rnd["drive"]
        if d["http_errors"] or d["probes_incomplete"]:
            console.print(f"  [red]round {r}: HTTP errors {d['http_errors']}, "
                          f"{d['probes_incomplete']} probes not seen by every console[/red]")


def print_summary(res: dict[str, Any]) -> None:
    console.rule("[bold]summary")
    m, first, cfg = res["medians"], res["first_list_load"], res["config"]
    w, h = res["page_weight"]["page_weight()"], res["page_weight"]["http"]
    verdict = ("[green]within[/green]" if res["reference"]["p99_within"]
               else "[red]NOT within[/red]")
    lines = [
        ("list first load (warming the index)", f"{fmt_ms(first['full']['p50_ms'])} ms, "
         f"{first['bytes']:,} bytes for {first['rows']:,} rows (sent as is; gzip would "
         f"make it {first['gzip_bytes']:,})"),
        ("list load p50 / p99 (no traffic)",
         f"{fmt_ms(m['list_idle_p50_ms'])} / {fmt_ms(m['list_idle_p99_ms'])} ms"),
        ("list load p50 / p99 (under traffic)",
         f"{fmt_ms(res['list_under_traffic']['list']['full']['p50_ms'])} / "
         f"{fmt_ms(res['list_under_traffic']['list']['full']['p99_ms'])} ms"),
        ("event -> list update p50 / p99",
         f"{fmt_ms(m['event_to_list_p50_ms'])} / {fmt_ms(m['event_to_list_p99_ms'])} ms "
         f"({cfg['agents']} consoles, {m['events_per_s']:.0f} events/s)"),
        ("  of which after the response (last console)",
         f"{fmt_ms(m['after_response_p50_ms'])} / {fmt_ms(m['after_response_p99_ms'])} ms "
         f"(POST /v1/track answered -> the last of the consoles)"),
        ("echo round trip p50 / p99 (same traffic)",
         f"{fmt_ms(m['echo_during_p50_ms'])} / {fmt_ms(m['echo_during_p99_ms'])} ms "
         f"(idle {fmt_ms(res['echo_idle']['p50_ms'])} / {fmt_ms(res['echo_idle']['p99_ms'])})"),
        ("event->list / echo", f"p50 {_x(m['ratio_p50'])}, p99 {_x(m['ratio_p99'])}: "
         f"{verdict} the {REFERENCE_RATIO:g}x reference"),
        ("console page weight raw / gzip", f"{w['raw']:,} / {w['gzip']:,} bytes "
         f"(over HTTP {h['raw']:,} / {h['wire']:,})"),
    ]
    for label, value in lines:
        console.print(f"  {label:46} {value}")


# -- main -----------------------------------------------------------------------------------

def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    p.add_argument("--visitors", type=int, default=None, help="live visitors (5000)")
    p.add_argument("--agents", type=int, default=None, help="agents connected (50)")
    p.add_argument("--rate", type=float, default=150.0,
                   help="background events a second (150)")
    p.add_argument("--probe-rate", type=float, default=10.0,
                   help="measured events a second, on top (10)")
    p.add_argument("--seconds", type=float, default=None, help="seconds of traffic a round (15)")
    p.add_argument("--rounds", type=int, default=None, help="rounds (3)")
    p.add_argument("--list-samples", type=int, default=10,
                   help="list loads a round without traffic (10)")
    p.add_argument("--echo-samples", type=int, default=1000,
                   help="idle echo round trips (1000)")
    p.add_argument("--quick", action="store_true",
                   help="1,000 visitors, 10 agents, 2 rounds x 5 s")
    p.add_argument("--no-compression", action="store_true",
                   help="do not offer permessage-deflate (browsers offer it)")
    p.add_argument("--timeout", type=float, default=None,
                   help="hard limit for the whole run in seconds (default: estimated)")
    args = p.parse_args(argv)
    quick = {"visitors": 1000, "agents": 10, "seconds": 5.0, "rounds": 2}
    full = {"visitors": 5000, "agents": 50, "seconds": 15.0, "rounds": 3}
    for key, value in (quick if args.quick else full).items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if args.visitors > 5000:
        p.error("--visitors: the list API returns at most 5,000 rows")
    if args.timeout is None:
        args.timeout = (120 + args.visitors / 200 + args.agents
                        + (args.rounds + 1) * (args.seconds + 25))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    time_limit(args.timeout)
    console.print(f"Floorwalker console benchmark: {args.visitors:,} live visitors, "
                  f"{args.agents} agents, {args.rate:g} + {args.probe_rate:g} events/s, "
                  f"{args.rounds} rounds x {args.seconds:g}s, {args.db}; {os.cpu_count()} CPUs; "
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
    out = RESULTS / f"console-{args.db}{'-quick' if args.quick else ''}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    console.print(f"  results written to {out.relative_to(HERE.parent)}")
    print_summary(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
