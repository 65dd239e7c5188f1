"""Every table has one owner: only its feature's modules write it, and views write nothing.

The map below is the one docs/architecture.md shows; a test checks the two agree. Writes
are found in the source: ``t.insert()``, ``t.update()``, ``t.delete()``, ``insert(t)``,
``update(t)``, ``delete(t)`` (SQLAlchemy's, SQLite's or PostgreSQL's) on a table object
imported from ``floorwalker.store.tables``. A module that writes a table held in a
variable (``table.insert()``) is taken to write every table it imports.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

from floorwalker.store import tables as tables_module
from floorwalker.store.base import metadata

SRC = Path(__file__).resolve().parents[2] / "src" / "floorwalker"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"

OWNERS = {
    "workspaces": "tenancy", "sites": "tenancy", "api_tokens": "tenancy",
    "accounts": "accounts", "account_sessions": "accounts", "account_invitations": "accounts",
    "visitors": "profiles", "identities": "profiles", "events": "profiles",
    "lookup_tables": "rules", "lookup_rows": "rules",
    "segments": "rules", "scenarios": "rules", "departments": "rules", "agents": "rules",
    "decisions": "rules", "timers": "rules", "funnel_days": "rules",
    "conversations": "chat", "conversation_agents": "chat", "messages": "chat",
    "canned_replies": "chat",
    "conversions": "measure",
    "emails": "mail", "mail_threads": "mail", "mail_addresses": "mail",
}
# Modules that answer requests or sockets: they validate, call an action and answer.
VIEWS = re.compile(r"(^|/|_)(api|ws|routes)\.py$")
WRITE_METHODS = {"insert", "update", "delete"}
TABLE_NAMES = {t.name: name for name, t in vars(tables_module).items()
               if getattr(t, "name", None) in metadata.tables and hasattr(t, "c")}


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel.startswith("store/migrations/") or rel == "store/tables.py":
            continue
        yield rel, path


def feature(rel: str) -> str:
    return rel.split("/", 1)[0].removesuffix(".py")


def written_tables(path: Path) -> set[str]:
    """The tables a module writes."""
    tree = ast.parse(path.read_text())
    imported: dict[str, str] = {}  # local name -> table name
    module_aliases: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "floorwalker.store.tables":
            for alias in node.names:
                table = getattr(tables_module, alias.name, None)
                if table is not None and getattr(table, "name", None) in metadata.tables:
                    imported[alias.asname or alias.name] = table.name
        if isinstance(node, ast.ImportFrom) and node.module == "floorwalker.store":
            module_aliases |= {a.asname or a.name for a in node.names if a.name == "tables"}

    def table_of(expr: ast.expr) -> str | None:
        if isinstance(expr, ast.Name):
            return imported.get(expr.id, "?")
        if (isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name)
                and expr.value.id in module_aliases):
            return metadata.tables[expr.attr].name if expr.attr in metadata.tables else "?"
        return "?"

    written: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        target: str | None = None
        if isinstance(func, ast.Attribute) and func.attr in WRITE_METHODS and not node.args:
            # t.insert() / t.update() / t.delete() (not dict.update(x), not set.update(x))
            target = table_of(func.value)
            if target == "?" and not isinstance(func.value, ast.Name):
                target = None  # something.attr.update(): not a table
        elif node.args and (
                (isinstance(func, ast.Name) and func.id in WRITE_METHODS | {"pg_insert"})
                or (isinstance(func, ast.Attribute) and func.attr == "insert"
                    and isinstance(func.value, ast.Name)
                    and func.value.id in {"sqlite", "postgresql"})):
            target = table_of(node.args[0])
        if target == "?":
            if imported:  # a table in a variable: any of those the module imports
                written |= set(imported.values())
        elif target is not None:
            written.add(target)
    return written


def test_every_table_has_an_owner() -> None:
    assert set(OWNERS) == set(metadata.tables)


def test_only_a_tables_owner_writes_it() -> None:
    strays = sorted(f"{rel} writes {table} (owned by {OWNERS[table]})"
                    for rel, path in modules() for table in written_tables(path)
                    if OWNERS[table] != feature(rel))
    assert strays == []


def test_views_write_no_table() -> None:
    writers = sorted(f"{rel} writes {', '.join(sorted(tables))}"
                     for rel, path in modules()
                     if VIEWS.search(rel) and (tables := written_tables(path)))
    assert writers == []


def test_the_detector_sees_writes_in_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from sqlalchemy import delete, update\n"
        "from sqlalchemy.dialects import sqlite\n"
        "from floorwalker.store.tables import decisions, timers, events, visitors\n"
        "async def f(conn, doc):\n"
        "    doc.update({'a': 1})\n"
        "    await conn.execute(decisions.insert())\n"
        "    await conn.execute(update(timers).where(timers.c.id == 1))\n"
        "    await conn.execute(sqlite.insert(events))\n"
        "    await conn.execute(select(visitors))\n")
    assert written_tables(sample) == {"decisions", "timers", "events"}


def test_the_architecture_page_shows_the_owners() -> None:
    text = DOCS.read_text()
    section = text.split("## Who owns which table", 1)[1].split("\n## ", 1)[0]
    shown: dict[str, str] = {}
    for line in section.splitlines():
        cells = [c.strip(" `") for c in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[0] not in ("feature", "---"):
            for table in re.split(r"[,\s`]+", cells[1]):
                if table:
                    shown[table] = cells[0]
    assert shown == OWNERS


def published_from(path: Path) -> list[int]:
    """Lines where a module publishes on the bus or through the desk."""
    tree = ast.parse(path.read_text())
    return sorted(node.lineno for node in ast.walk(tree)
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr == "publish")


def test_views_publish_nothing() -> None:
    # Frames follow a commit: the action that wrote registers them with an on-commit hook.
    publishers = sorted(f"{rel}:{line}" for rel, path in modules() if VIEWS.search(rel)
                        for line in published_from(path))
    assert publishers == []


def test_the_detector_sees_publishing(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("async def f(svc):\n    await svc.bus.publish('c', b'x')\n"
                      "    await svc.desk.publish(changes)\n")
    assert published_from(sample) == [2, 3]


def transactions_in(path: Path) -> list[int]:
    """Lines where a module opens a write transaction (``engine.begin()``, ``atomic``)."""
    tree = ast.parse(path.read_text())
    return sorted(node.lineno for node in ast.walk(tree) if isinstance(node, ast.Call) and (
        (isinstance(node.func, ast.Attribute) and node.func.attr == "begin")
        or (isinstance(node.func, ast.Name) and node.func.id == "atomic")))


def test_views_open_no_write_transaction() -> None:
    # The action opens it: what it writes and what follows the commit stay together.
    openers = sorted(f"{rel}:{line}" for rel, path in modules() if VIEWS.search(rel)
                     for line in transactions_in(path))
    assert openers == []


def test_the_detector_sees_transactions(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("async def f(engine):\n    async with engine.begin() as conn:\n"
                      "        pass\n    async with atomic(engine) as tx:\n        pass\n"
                      "    async with engine.connect() as conn:\n        pass\n")
    assert transactions_in(sample) == [2, 4]
