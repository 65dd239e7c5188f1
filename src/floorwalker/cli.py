"""The ``floorwalker`` command: serve | demo | migrate | workspace | site | token | lookup |
report."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.config import Settings, SettingsError
from floorwalker.errors import ApiError

app = typer.Typer(help="Floorwalker: proactive engagement server.", no_args_is_help=True,
                  add_completion=False)
workspace_app = typer.Typer(help="Workspaces.", no_args_is_help=True)
site_app = typer.Typer(help="Sites and their keys.", no_args_is_help=True)
token_app = typer.Typer(help="Admin API tokens.", no_args_is_help=True)
lookup_app = typer.Typer(help="Server-side lookup tables.", no_args_is_help=True)
retention_app = typer.Typer(help="Event retention.", no_args_is_help=True)
agent_app = typer.Typer(help="Console accounts: agents and admins.", no_args_is_help=True)
rules_app = typer.Typer(help="Rules as code: segments, scenarios, departments.",
                        no_args_is_help=True)
playbook_app = typer.Typer(help="Bundled playbooks of segments and scenarios.",
                           no_args_is_help=True)
app.add_typer(workspace_app, name="workspace")
app.add_typer(site_app, name="site")
app.add_typer(token_app, name="token")
app.add_typer(lookup_app, name="lookup")
app.add_typer(retention_app, name="retention")
app.add_typer(agent_app, name="agent")
app.add_typer(rules_app, name="rules")
app.add_typer(playbook_app, name="playbook")
report_app = typer.Typer(help="Reports: what messages and chats did for sales.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")
mail_app = typer.Typer(help="E-mail: the outbox and the relay (docs/email.md).",
                       no_args_is_help=True)
app.add_typer(mail_app, name="mail")

console = Console(stderr=True)
out = Console()
T = TypeVar("T")


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except SettingsError as exc:
        console.print(f"[red]Configuration error:[/red] {exc}")
        raise typer.Exit(2) from None


def _with_db(fn: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    """Run ``fn`` in one transaction against the configured database."""
    from floorwalker.store.engine import make_engine

    async def main() -> T:
        engine = make_engine(_settings().database_url)
        try:
            async with engine.begin() as conn:
                return await fn(conn)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except ApiError as exc:
        console.print(f"[red]{exc.code}:[/red] {exc.message}")
        raise typer.Exit(1) from None


async def _workspace_id(conn: AsyncConnection, ref: str) -> str:
    return str((await _workspace(conn, ref)).id)


async def _workspace(conn: AsyncConnection, ref: str) -> Any:
    from floorwalker.tenancy import service
    return await service.get_workspace(conn, ref)


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema (alembic)."""
    from floorwalker.store.migrate import upgrade
    settings = _settings()
    upgrade(settings.database_url)
    console.print(f"Database is up to date ({settings.database_url.split('://')[0]}).")


@app.command()
def serve(host: Annotated[str | None, typer.Option(help="Listen address")] = None,
          port: Annotated[int | None, typer.Option(help="Listen port")] = None) -> None:
    """Run the server against FLOORWALKER_DATABASE_URL (run `floorwalker migrate` first)."""
    settings = _settings()
    overrides: dict[str, Any] = {}
    if host:
        overrides["host"] = host
    if port:
        overrides["port"] = port
    _run_server(settings.with_overrides(**overrides) if overrides else settings)


def tune_gc() -> None:
    """Cheaper collections for a server holding many cached profiles and sockets.

    Objects that exist at start are frozen out of collection, so full collections do not
    walk them. Young collections run every 2,000 allocations (default 700): at 50,000
    each pause took 9-45 ms and showed in every p99 of the real-time path; at 2,000 they
    are short (benchmarks/realtime.py: p99 event -> frame 21 -> 10 ms, docs/realtime.md).
    """
    import gc
    gc.collect()
    gc.freeze()
    gc.set_threshold(2_000, 10, 100)


def _run_server(settings: Settings, banner: Callable[[], None] | None = None) -> None:
    import uvicorn

    from floorwalker.app import create_app
    from floorwalker.ops.logging import configure_logging
    configure_logging(settings.log_level, settings.log_json)
    application = create_app(settings)
    if banner:
        banner()
    tune_gc()
    uvicorn.run(application, host=settings.host, port=settings.port, log_config=None,
                access_log=False, ws="websockets-sansio", lifespan="on",
                # Frames are small JSON: per-socket zlib state costs ~37 KB for little gain.
                ws_per_message_deflate=False,
                # The protocol's own heartbeat finds dead sockets (docs/realtime.md); the
                # server's pings on top cost 500 frames a second at 10,000 sockets.
                ws_ping_interval=None, ws_ping_timeout=None,
                log_level=settings.log_level)


@app.command()
def demo(host: Annotated[str, typer.Option()] = "127.0.0.1",
         port: Annotated[int, typer.Option()] = 8000) -> None:
    """Migrate the embedded database, create a demo workspace and site, and serve."""
    from floorwalker.demo import DEMO_PASSWORD, prepare, with_demo_mail
    settings = _settings().with_overrides(host=host, port=port, log_json=False, demo=True)
    from floorwalker.store.migrate import upgrade
    upgrade(settings.database_url)
    info = asyncio.run(prepare(settings))
    settings = with_demo_mail(settings, info)

    def banner() -> None:
        base = f"http://{host}:{port}"
        out.print(f"\n[bold]Floorwalker demo[/bold] on {base}")
        out.print(f"  database        {settings.database_url}")
        out.print(f"  workspace       {info['workspace']}")
        out.print(f"  site write key  {info['write_key']}")
        if info.get("server_key"):
            out.print(f"  site server key {info['server_key']}  (shown once)")
        out.print(f"  identity secret {info['identity_secret']}")
        if info.get("token"):
            out.print(f"  admin token     {info['token']}  (shown once)")
        else:
            out.print("  admin token     created at first start; "
                      "`floorwalker token create --workspace demo` makes another")
        out.print(f"  demo shop       {base}/demo/   (log in as ann@example.com)")
        out.print(f"  agent console   {base}/console/   (workspace demo)")
        out.print("  console logins  sam@demo.example (Sales), bea@demo.example (Billing),")
        out.print(f"                  admin@demo.example (admin); password {DEMO_PASSWORD}")
        out.print(f"  API docs        {base}/docs")
        out.print(f"  try it          curl -u {info['write_key']}: {base}/v1/track "
                  "-H 'content-type: application/json' "
                  "-d '{\"anonymousId\":\"a1\",\"event\":\"search\","
                  "\"properties\":{\"search_term\":\"boots\"}}'\n")

    _run_server(settings, banner)


@workspace_app.command("create")
def workspace_create(slug: str, name: Annotated[str | None, typer.Option()] = None) -> None:
    """Create a workspace."""
    from floorwalker.tenancy import service
    ws = _with_db(lambda c: service.create_workspace(c, slug, name))
    out.print(f"workspace {ws.slug} ({ws.id}) created")


@workspace_app.command("list")
def workspace_list() -> None:
    """List workspaces."""
    from floorwalker.tenancy import service
    table = Table("slug", "id", "name")
    for ws in _with_db(lambda c: service.list_workspaces(c)):
        table.add_row(ws.slug, ws.id, ws.name)
    out.print(table)


@site_app.command("create")
def site_create(name: str, workspace: Annotated[str, typer.Option(help="Workspace slug")],
                domain: Annotated[str | None, typer.Option()] = None) -> None:
    """Create a site; prints its keys (the server key only this once)."""
    from floorwalker.tenancy import service

    async def run(conn: AsyncConnection) -> service.Site:
        return await service.create_site(conn, await _workspace_id(conn, workspace), name, domain)

    site = _with_db(run)
    out.print(f"site {site.name} ({site.id})\n  write key        {site.write_key}\n"
              f"  server key       {site.server_key}  (shown once)\n"
              f"  identity secret  {site.identity_secret}")


@site_app.command("list")
def site_list(workspace: Annotated[str, typer.Option(help="Workspace slug")]) -> None:
    """List a workspace's sites and write keys."""
    from floorwalker.tenancy import service

    async def run(conn: AsyncConnection) -> list[service.Site]:
        return await service.list_sites(conn, await _workspace_id(conn, workspace))

    table = Table("id", "name", "domain", "write key")
    for site in _with_db(run):
        table.add_row(site.id, site.name, site.domain or "", site.write_key)
    out.print(table)


@site_app.command("rotate-keys")
def site_rotate(site_id: str, workspace: Annotated[str, typer.Option()]) -> None:
    """Replace a site's keys."""
    from floorwalker.tenancy import service

    async def run(conn: AsyncConnection) -> service.Site:
        return await service.rotate_site_keys(conn, await _workspace_id(conn, workspace), site_id)

    site = _with_db(run)
    out.print(f"write key {site.write_key}\nserver key {site.server_key}  (shown once)\n"
              f"identity secret {site.identity_secret}")


@token_app.command("create")
def token_create(workspace: Annotated[str | None, typer.Option(
                     help="Workspace slug; leave out for an instance token")] = None,
                 name: Annotated[str, typer.Option()] = "cli") -> None:
    """Create an admin API token (printed once)."""
    from floorwalker.tenancy import service

    async def run(conn: AsyncConnection) -> str:
        ws_id = await _workspace_id(conn, workspace) if workspace else None
        return await service.create_token(conn, ws_id, name)

    out.print(_with_db(run))


@lookup_app.command("import")
def lookup_import(path: Path, workspace: Annotated[str, typer.Option(help="Workspace slug")],
                  name: Annotated[str | None, typer.Option(
                      help="Table name (default: the file name)")] = None,
                  key: Annotated[str | None, typer.Option(
                      help="Key column (default: the first)")] = None) -> None:
    """Replace a lookup table with a CSV file, with a progress bar."""
    from floorwalker.rules import lookups
    if not path.is_file():
        console.print(f"[red]No such file:[/red] {path}")
        raise typer.Exit(2)
    table_name = name or path.stem.lower().replace("-", "_")
    with path.open(newline="", encoding="utf-8-sig") as fh:
        total = max(0, sum(1 for _ in fh) - 1)
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        header = list(reader.fieldnames or [])
        if not header:
            console.print("[red]The CSV has no header row.[/red]")
            raise typer.Exit(2)
        key_field = key or header[0]
        if key_field not in header:
            console.print(f"[red]No column {key_field!r} in {path.name}.[/red]")
            raise typer.Exit(2)
        rows = ({k: lookups.typed(v) for k, v in row.items() if k is not None and v is not None}
                for row in reader)
        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
            task = bar.add_task(f"importing {table_name}", total=total)

            async def run(conn: AsyncConnection) -> lookups.LookupTable:
                return await lookups.import_rows(
                    conn, await _workspace_id(conn, workspace), table_name, key_field, rows,
                    progress=lambda n: bar.update(task, completed=n))

            result = _with_db(run)
    out.print(f"lookup table {result.name}: {result.row_count} rows keyed by {result.key_field}")


@retention_app.command("run")
def retention_run() -> None:
    """Delete events older than the retention period now."""
    from floorwalker.profiles.retention import purge
    from floorwalker.store.engine import make_engine
    settings = _settings()

    async def main() -> int:
        engine = make_engine(settings.database_url)
        try:
            return await purge(engine, settings.retention_days)
        finally:
            await engine.dispose()

    out.print(f"deleted {asyncio.run(main())} events")


@agent_app.command("invite")
def agent_invite(email: str, workspace: Annotated[str, typer.Option(help="Workspace slug")],
                 role: Annotated[str, typer.Option(help="admin or agent")] = "agent",
                 name: Annotated[str | None, typer.Option()] = None,
                 department: Annotated[list[str] | None, typer.Option(
                     help="Department key (repeat for several)")] = None,
                 base_url: Annotated[str, typer.Option(
                     help="The server's public URL, for the link")] = "http://127.0.0.1:8000"
                 ) -> None:
    """Invite an agent or admin; prints a one-time link to set a password."""
    from floorwalker.accounts.actions import invite
    if role not in ("admin", "agent"):
        console.print("[red]--role is admin or agent[/red]")
        raise typer.Exit(2)

    async def run(conn: AsyncConnection) -> str:
        ws_id = await _workspace_id(conn, workspace)
        _account, link = await invite(conn, ws_id, email, name or email.split("@")[0],
                                      role, tuple(department or ()))
        return link

    out.print(f"{base_url.rstrip('/')}{_with_db(run)}")


@rules_app.command("export")
def rules_export(workspace: Annotated[str, typer.Option(help="Workspace slug")]) -> None:
    """Print the workspace's departments, segments and scenarios as YAML."""
    from floorwalker.rules import io

    async def run(conn: AsyncConnection) -> dict[str, Any]:
        return await io.export(conn, await _workspace_id(conn, workspace))

    sys.stdout.write(io.dump(_with_db(run)))


@rules_app.command("apply")
def rules_apply(path: Path, workspace: Annotated[str, typer.Option(help="Workspace slug")],
                dry_run: Annotated[bool, typer.Option("--dry-run",
                                                      help="Show the diff only")] = False,
                prune: Annotated[bool, typer.Option(
                    "--prune", help="Delete items the file does not list")] = False) -> None:
    """Create or replace the rules in a YAML file; --dry-run shows what would change."""
    import yaml

    from floorwalker.rules import io
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        console.print(f"[red]Cannot read {path}:[/red] {exc}")
        raise typer.Exit(2) from None

    async def run(conn: AsyncConnection) -> io.Plan:
        return await io.apply(conn, await _workspace_id(conn, workspace), doc,
                              dry_run=dry_run, prune=prune)

    _print_plan(_with_db(run), dry_run)


def _print_plan(plan: Any, dry_run: bool) -> None:
    marks = {"create": "[green]+[/green]", "update": "[yellow]~[/yellow]",
             "delete": "[red]-[/red]"}
    for change in plan.effective:
        out.print(f"{marks[change.action]} {change.kind} {change.key}")
        if change.diff:
            out.print(change.diff, markup=False, highlight=False, soft_wrap=True)
    verb = "would change" if dry_run else "changed"
    out.print(f"{len(plan.effective)} {verb}, "
              f"{len(plan.changes) - len(plan.effective)} unchanged"
              + (" (dry run: nothing written)" if dry_run else ""))


@playbook_app.command("list")
def playbook_list() -> None:
    """The bundled playbooks."""
    from floorwalker.rules import io
    for name in io.playbook_names():
        out.print(name)


@playbook_app.command("install")
def playbook_install(name: str, workspace: Annotated[str, typer.Option(help="Workspace slug")],
                     dry_run: Annotated[bool, typer.Option("--dry-run")] = False) -> None:
    """Install a playbook's departments, segments and scenarios (e.g. ecommerce)."""
    from floorwalker.rules import io
    doc = io.load_playbook(name) if name in io.playbook_names() else None
    if doc is None:
        console.print(f"[red]No playbook {name!r}[/red]; there are: "
                      f"{', '.join(io.playbook_names())}")
        raise typer.Exit(2)

    async def run(conn: AsyncConnection) -> io.Plan:
        return await io.apply(conn, await _workspace_id(conn, workspace), doc, dry_run=dry_run)

    _print_plan(_with_db(run), dry_run)


def _report(workspace: str, since: str | None, until: str | None, window_hours: int | None,
            build: Callable[[AsyncConnection, str, Any, Any], Awaitable[dict[str, Any]]],
            scenario: str | None = None, segment: str | None = None,
            department: str | None = None) -> dict[str, Any]:
    """A report for a workspace and period (its own attribution window and conversion
    goals by default), filtered by scenario, segment and department."""
    from floorwalker.measure import reports
    from floorwalker.rules.ruleset import RulesCache

    async def run(conn: AsyncConnection) -> dict[str, Any]:
        ws = await _workspace(conn, workspace)
        rs = await RulesCache(conn.engine).get(ws.id)
        p = reports.period(since, until, window_hours or ws.settings.attribution_window_hours)
        sc = reports.scope(rs, p, window_given=window_hours is not None, scenario=scenario,
                           segment=segment, department=department)
        return await build(conn, ws.id, p, sc)

    return _with_db(run)


SegmentFilter = Annotated[str | None, typer.Option(
    help="Only visitors who were in this segment at the time")]
DepartmentFilter = Annotated[str | None, typer.Option(
    help="Only this department's scenarios (funnel, lift) or chats (agents)")]


@report_app.command("funnel")
def report_funnel(workspace: Annotated[str, typer.Option(help="Workspace slug")],
                  since: Annotated[str | None, typer.Option(
                      help="First UTC day, YYYY-MM-DD (default: a week before until)")] = None,
                  until: Annotated[str | None, typer.Option(
                      help="Last UTC day, included (default: today)")] = None,
                  window_hours: Annotated[int | None, typer.Option(
                      help="Attribution window after a decision, hours (default 48)")] = None,
                  scenario: Annotated[str | None, typer.Option(help="One scenario")] = None,
                  segment: SegmentFilter = None, department: DepartmentFilter = None,
                  as_csv: Annotated[bool, typer.Option(
                      "--csv", help="Rows per day as CSV on stdout")] = False) -> None:
    """Each scenario's funnel: decided, delivered, shown, engaged, chats, converted."""
    from floorwalker.measure import reports

    report = _report(workspace, since, until, window_hours, reports.funnel,
                     scenario, segment, department)
    if as_csv:
        sys.stdout.write(reports.funnel_csv(report))
        return
    head, body = reports.totals_table(report)
    table = Table(title=f"Funnel {report['since']} .. {report['until']} "
                        f"(window {report['window_hours']} h)")
    for name in head:
        table.add_column(name, justify="left" if name in ("scenario", "variant") else "right")
    for row in body:
        table.add_row(*row)
    out.print(table)


@report_app.command("lift")
def report_lift(workspace: Annotated[str, typer.Option(help="Workspace slug")],
                since: Annotated[str | None, typer.Option(help="First UTC day")] = None,
                until: Annotated[str | None, typer.Option(help="Last UTC day")] = None,
                window_hours: Annotated[int | None, typer.Option(
                    help="Attribution window, hours (default 48)")] = None,
                scenario: Annotated[str | None, typer.Option(help="One scenario")] = None,
                segment: SegmentFilter = None, department: DepartmentFilter = None) -> None:
    """Exposed visitors against each scenario's holdout group, with 95% intervals."""
    from floorwalker.measure import reports

    report = _report(workspace, since, until, window_hours, reports.lift,
                     scenario, segment, department)
    table = Table(title=f"Lift {report['since']} .. {report['until']} "
                        f"(window {report['window_hours']} h)")
    for name in ("scenario", "variant", "exposed", "held out", "conversion lift (95%)",
                 "revenue/visitor lift (95%)", "verdict"):
        table.add_column(name)
    for s in report["scenarios"]:
        e, h, c, r = s["exposed"], s["held_out"], s["conversion_lift"], s["revenue_lift"]
        table.add_row(
            s["scenario"], s["variant"] or "-",
            f"{e['converted']}/{e['visitors']}", f"{h['converted']}/{h['visitors']}",
            "-" if c is None else f"{c['difference']:+.1%} [{c['low']:+.1%}, {c['high']:+.1%}]",
            "-" if r is None else f"{r['difference']:+.2f} [{r['low']:+.2f}, {r['high']:+.2f}]",
            s["verdict"].replace("_", " "))
    out.print(table)


@report_app.command("rebuild")
def report_rebuild(workspace: Annotated[str, typer.Option(help="Workspace slug")]) -> None:
    """Recount a workspace's report rollups (the funnel's daily counts, each chat's
    facts) from its decisions and messages: after rows were written around Floorwalker
    (a bulk import, a restore, a repair). Normal writes keep them; this is not needed."""
    from floorwalker.chat.service import rebuild_chat_facts
    from floorwalker.rules.decisions import rebuild_funnel_days

    async def run(conn: AsyncConnection) -> str:
        ws_id = await _workspace_id(conn, workspace)
        await rebuild_funnel_days(conn, ws_id)
        await rebuild_chat_facts(conn, ws_id)
        return ws_id

    ws_id = _with_db(run)
    out.print(f"Rebuilt the report rollups of {workspace} ({ws_id}). On PostgreSQL, run "
              "ANALYZE after a large import so the planner sees the new rows.")


@report_app.command("backfill")
def report_backfill(workspace: Annotated[str, typer.Option(help="Workspace slug")],
                    event: Annotated[str, typer.Option(
                        help="The goal's event, as stored (sign_up, Order Completed...)")],
                    ) -> None:
    """Count the stored events of a goal named after they came (a goal counts its event
    from when it is named): each becomes a conversion once per person and order."""
    from floorwalker.measure import conversions as conversion_rows

    async def total(conn: AsyncConnection) -> tuple[str, int]:
        ws_id = await _workspace_id(conn, workspace)
        return ws_id, await conversion_rows.stored_events(conn, ws_id, event)

    ws_id, found = _with_db(total)
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console) as bar:
        task = bar.add_task(f"reading {event} events", total=found)

        async def run(conn: AsyncConnection) -> int:
            return await conversion_rows.backfill(
                conn, ws_id, event, progress=lambda n: bar.advance(task, n))

        added = _with_db(run)
    out.print(f"{event}: {found} stored events, {added} new conversions recorded "
              f"({found - added} already counted or the same order again).")


@report_app.command("agents")
def report_agents(workspace: Annotated[str, typer.Option(help="Workspace slug")],
                  since: Annotated[str | None, typer.Option(help="First UTC day")] = None,
                  until: Annotated[str | None, typer.Option(help="Last UTC day")] = None,
                  window_hours: Annotated[int | None, typer.Option(
                      help="Attribution window after a chat, hours (default 48)")] = None,
                  credit: Annotated[str, typer.Option(
                      help="last | first | linear: who an order is credited to")] = "last",
                  segment: SegmentFilter = None, department: DepartmentFilter = None,
                  as_csv: Annotated[bool, typer.Option(
                      "--csv", help="The agents' table as CSV on stdout")] = False) -> None:
    """What each agent's chats sold, and how fast they answered and resolved."""
    from floorwalker.measure import reports

    if credit not in reports.CREDITS:
        console.print(f"[red]invalid_credit:[/red] --credit is one of "
                      f"{', '.join(reports.CREDITS)}")
        raise typer.Exit(1)

    report = _report(workspace, since, until, window_hours,
                     lambda conn, ws_id, p, sc: reports.agents(conn, ws_id, p, credit, sc),
                     segment=segment, department=department)
    if as_csv:
        sys.stdout.write(reports.agents_csv(report))
        return
    table = Table(title=f"Agents {report['since']} .. {report['until']} "
                        f"(credit: {report['credit']}, window {report['window_hours']} h)")
    for name in ("agent", "chats", "credited", "converted", "rate", "revenue", "after-sales",
                 "first response p50/p90", "resolution p50/p90", "rating",
                 "basket vs comparable"):
        table.add_column(name, justify="left" if name == "agent" else "right")

    def pair(d: dict[str, Any]) -> str:
        return "-" if d["p50"] is None else f"{d['p50']:.0f}s / {d['p90']:.0f}s"

    for a in report["agents"]:
        rate, rating = a["conversion_rate"], a["rating"]
        table.add_row(a["agent_id"], str(a["chats"]), f"{a['credited_chats']:g}",
                      f"{a['converted']:g}", "-" if rate is None else f"{rate:.1%}",
                      ", ".join(f"{v:,.2f} {c}" for c, v in a["revenue"].items()) or "-",
                      str(a["after_sales"]), pair(a["first_response_seconds"]),
                      pair(a["resolution_seconds"]),
                      "-" if rating["average"] is None
                      else f"{rating['average']:.1f} ({rating['count']})",
                      "; ".join(f"{b['chatters']:,.2f} vs {b['comparable']:,.2f} {c}"
                                for c, b in a["basket"].items()) or "-")
    out.print(table)


def main() -> None:
    """Entry point of the console script."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


@mail_app.command("list")
def mail_list(workspace: Annotated[str, typer.Option(help="Workspace slug")],
              status: Annotated[str | None, typer.Option(
                  help="queued | sent | failed | bounced | skipped")] = None,
              limit: Annotated[int, typer.Option(min=1, max=1000)] = 50) -> None:
    """A workspace's e-mails, newest first: to whom, what, and whether they went out."""
    from datetime import UTC, datetime

    from floorwalker.mail import outbox

    if status not in (None, "queued", "sent", "failed", "bounced", "skipped"):
        console.print("[red]invalid_status:[/red] --status is queued, sent, failed, bounced "
                      "or skipped")
        raise typer.Exit(1)

    async def run(conn: AsyncConnection) -> list[dict[str, Any]]:
        return await outbox.listing(conn, await _workspace_id(conn, workspace),
                                    status=status, limit=limit)

    table = Table("queued at (UTC)", "to", "subject", "status", "attempts", "last error")
    for e in _with_db(run):
        when = datetime.fromtimestamp(e["created_at"], UTC).strftime("%Y-%m-%d %H:%M:%S")
        table.add_row(when, e["to_address"], e["subject"], e["status"], str(e["attempts"]),
                      e["last_error"] or "")
    out.print(table)


@mail_app.command("test")
def mail_test(to: Annotated[str, typer.Option(help="Where to send the test e-mail")]) -> None:
    """Send one e-mail through FLOORWALKER_SMTP_URL now, to check the relay's settings."""
    import time

    from floorwalker.mail import outbox
    from floorwalker.mail.smtp import PermanentFailure, Relay, TemporaryFailure

    settings = _settings()
    if not settings.smtp_url:
        console.print("[red]no_relay:[/red] set FLOORWALKER_SMTP_URL (docs/email.md)")
        raise typer.Exit(2)
    if not outbox.valid_address(to):
        console.print(f"[red]invalid_address:[/red] {to!r} is not an address we can send to")
        raise typer.Exit(1)
    now = time.time()
    row = {"from_name": "Floorwalker", "to_address": to, "subject": "Floorwalker test e-mail",
           "created_at": now, "message_id": f"<test.{int(now * 1000)}@"
           f"{settings.mail_from.rsplit('@', 1)[1]}>", "in_reply_to": None,
           "thread_refs": None, "reply_to": None, "language": "en", "body_html": None,
           "body_text": "This e-mail shows that Floorwalker can send through "
                        f"{settings.smtp_url.split('@')[-1].split('?')[0]}.\n"}
    try:
        asyncio.run(Relay.from_url(settings.smtp_url).send(
            outbox.compose(row, settings.mail_from)))
    except (PermanentFailure, TemporaryFailure) as exc:
        console.print(f"[red]not sent:[/red] {exc}")
        raise typer.Exit(1) from None
    out.print(f"sent to {to} as {settings.mail_from} ({row['message_id']})")


if __name__ == "__main__":
    main()

