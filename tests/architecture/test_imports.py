"""The import graph: no cycles between modules, and features import only those below them.

Imports inside functions count too (they used to hide cycles); only the CLI imports
inside functions, so that ``floorwalker --help`` starts fast.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "floorwalker"

# Bottom to top: a feature may import its own layer's shared modules and anything below.
LAYERS: list[set[str]] = [
    {"", "errors", "config", "events", "protocol"},
    {"store"},
    {"ops", "bus"},
    {"tenancy"},
    {"texts"},
    {"profiles"},
    {"rules"},
    {"accounts"},
    {"auth"},
    {"engage", "live"},
    {"chat"},
    {"measure", "mail"},
    {"collect"},
    {"admin", "console", "widget"},
    {"demo"},
    {"services"},
    {"app", "cli"},
]
# Views (a feature's HTTP routes and sockets) sit above every feature's other modules:
# they authenticate (``auth``) and call actions. Nothing but the app imports a view.
VIEW = re.compile(r"\.(api|ws|routes|\w+_api)$")
VIEW_LAYER = len(LAYERS) - 2  # just under services and the app
# The one exception left: views reach the composition root through ``services(request)``
# (a service locator; replacing it with explicit dependencies is the next slice).
COMPOSITION_ROOT = "services"


def modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def imports(mods: dict[str, Path]) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Per module: what it imports at module level, and inside functions."""
    top: dict[str, set[str]] = defaultdict(set)
    inner: dict[str, set[str]] = defaultdict(set)

    def visit(module: str, node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.If) and isinstance(child.test, ast.Name) \
                    and child.test.id == "TYPE_CHECKING":
                continue
            targets: list[str] = []
            if isinstance(child, ast.ImportFrom) and child.module \
                    and child.module.startswith("floorwalker"):
                targets = [f"{child.module}.{a.name}" if f"{child.module}.{a.name}" in mods
                           else child.module for a in child.names]
            elif isinstance(child, ast.Import):
                targets = [a.name for a in child.names if a.name.startswith("floorwalker")]
            (inner if nested else top)[module].update(targets)
            visit(module, child, nested)

    for module, path in mods.items():
        visit(module, ast.parse(path.read_text()), False)
    return top, inner


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in list(graph):
        if v not in index:
            connect(v)
    return found


def feature(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def test_no_module_imports_itself_through_others() -> None:
    mods = modules()
    top, inner = imports(mods)
    graph = {m: top[m] | inner[m] for m in mods}
    assert cycles(graph) == []


def test_only_the_cli_imports_inside_functions() -> None:
    _top, inner = imports(modules())
    assert sorted(m for m, found in inner.items() if found and m != "floorwalker.cli") == []


def test_features_import_only_layers_below_them() -> None:
    layers = {name: i for i, names in enumerate(LAYERS) for name in names}
    mods = modules()
    assert {feature(m) for m in mods} - {""} <= set(layers), "a new package needs a layer"

    def layer(module: str) -> int:
        return VIEW_LAYER if VIEW.search(module) else layers[feature(module)]

    top, inner = imports(mods)
    upward = sorted(
        f"{m} -> {t}" for m in mods for t in top[m] | inner[m]
        if feature(t) != feature(m) and feature(t) != COMPOSITION_ROOT
        and layer(t) > layer(m))
    assert upward == []


def test_nothing_but_the_app_imports_a_view() -> None:
    mods = modules()
    top, inner = imports(mods)
    importers = sorted(f"{m} -> {t}" for m in mods for t in top[m] | inner[m]
                       if VIEW.search(t) and feature(m) not in ("app", "cli")
                       and feature(t) != feature(m))
    assert importers == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_only_views_find_their_parts_through_services() -> None:
    # Actions and everything below them get what they need passed in (chat's ChatParts,
    # engage's EngageParts...); only request handlers look the app's parts up.
    mods = modules()
    top, inner = imports(mods)
    lookers = sorted(m for m in mods if "floorwalker.services" in top[m] | inner[m]
                     and not VIEW.search(m) and feature(m) not in ("auth", "app", "cli"))
    assert lookers == []
