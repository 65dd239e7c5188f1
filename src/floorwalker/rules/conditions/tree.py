"""One walk over a condition tree that both finds every problem and builds the closures."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from floorwalker.rules.conditions import ops, windows
from floorwalker.rules.conditions.durations import duration_problem
from floorwalker.rules.conditions.errors import Problem, did_you_mean
from floorwalker.rules.conditions.fuse import leaf
from floorwalker.rules.conditions.operands import Operand
from floorwalker.rules.conditions.paths import OperandError, resolve
from floorwalker.rules.context import EvalContext

Predicate = Callable[[EvalContext], bool]
MAX_DEPTH = 32
MAX_NODES = 1000
MAX_NAME = 200
KINDS = ("all", "any", "not", "path", "count", "sequence", "absence")
_KEYS = {"all": {"all"}, "any": {"any"}, "not": {"not"},
         "path": {"path", "op", "value", "case_insensitive"}, "count": {"count", "op", "value"},
         "sequence": {"sequence"}, "absence": {"absence"}}


def always_true(ctx: EvalContext) -> bool:
    return True


def always_false(ctx: EvalContext) -> bool:
    return False


def all_of(preds: list[Predicate]) -> Predicate:
    """All of ``preds`` (short-circuit; empty = true)."""
    if not preds:
        return always_true
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda ctx: a(ctx) and b(ctx)
    if len(preds) == 3:
        a, b, c = preds
        return lambda ctx: a(ctx) and b(ctx) and c(ctx)
    items = tuple(preds)
    return lambda ctx: all(p(ctx) for p in items)


def any_of(preds: list[Predicate]) -> Predicate:
    """Any of ``preds`` (short-circuit; empty = false)."""
    if not preds:
        return always_false
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda ctx: a(ctx) or b(ctx)
    items = tuple(preds)
    return lambda ctx: any(p(ctx) for p in items)


def _event_name(tree: Any) -> str | None:
    """The name in an ``event.name eq "x"`` leaf, else None."""
    if (isinstance(tree, dict) and tree.get("path") == "event.name" and tree.get("op") == "eq"
            and isinstance(tree.get("value"), str) and not tree.get("case_insensitive")):
        return str(tree["value"])
    return None


def _all_guarded(children: list[Any], preds: list[Predicate]) -> Predicate:
    """``all``, with an ``event.name eq`` child checked inline first: the cheapest test, and
    the one that fails for almost every event."""
    for i, child in enumerate(children):
        name = _event_name(child)
        if name is not None and len(preds) > 1:
            rest = all_of(preds[:i] + preds[i + 1:])
            return lambda ctx: ctx.event is not None and ctx.event.name == name and rest(ctx)
    return all_of(preds)


class Builder:
    """Walks a tree: ``problems`` lists what is wrong; the returned predicate is the rest."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.tables: set[str] = set()
        self.uses_time = False
        self.nodes = 0

    def problem(self, path: str, text: str) -> Predicate:
        """Record a problem; the node compiles to false (never used: compile raises)."""
        self.problems.append(Problem(path, text))
        return always_false

    def node(self, tree: Any, path: str, depth: int = 1) -> Predicate:
        """Check and build the condition ``tree`` found at ``path``."""
        if depth > MAX_DEPTH:
            return self.problem(path, f"conditions nest at most {MAX_DEPTH} levels deep")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            if self.nodes == MAX_NODES + 1:
                self.problem(path, f"a condition has at most {MAX_NODES} parts")
            return always_false
        if not isinstance(tree, dict):
            return self.problem(path, 'a condition is an object such as {"path": "event.name",'
                                      ' "op": "eq", "value": "search"}')
        found = [k for k in KINDS if k in tree]
        if len(found) != 1:
            keys = ", ".join(repr(k) for k in tree if isinstance(k, str))[:200]
            what = f"has {' and '.join(found)}" if found else f"has keys {keys or 'none'}"
            return self.problem(path, f"a condition has exactly one of {', '.join(KINDS)};"
                                      f" this one {what}")
        kind = found[0]
        for key in tree:
            if key not in _KEYS[kind]:
                self.problem(f"{path}.{key}" if isinstance(key, str) else path,
                             f"unknown key {key!r} in a {kind!r} condition"
                             f"{did_you_mean(str(key), _KEYS[kind])}")
        if kind in ("all", "any"):
            children = tree[kind]
            if not isinstance(children, list):
                return self.problem(f"{path}.{kind}", f"{kind!r} takes a list of conditions")
            if len(children) > ops.MAX_LIST:
                return self.problem(f"{path}.{kind}", f"at most {ops.MAX_LIST} conditions")
            preds = [self.node(c, f"{path}.{kind}[{i}]", depth + 1)
                     for i, c in enumerate(children)]
            return _all_guarded(children, preds) if kind == "all" else any_of(preds)
        if kind == "not":
            child = self.node(tree["not"], f"{path}.not", depth + 1)
            return lambda ctx: not child(ctx)
        return getattr(self, f"_{kind}")(tree, path)  # type: ignore[no-any-return]

    def _path(self, tree: dict[str, Any], path: str) -> Predicate:
        try:
            operand = resolve(tree["path"])
        except OperandError as exc:
            self.problem(f"{path}.path", str(exc))
            operand = Operand(get=always_false, kind="any")
        return self._compare(operand, tree, path, str(tree["path"])[:100])

    def _compare(self, operand: Operand, tree: dict[str, Any], path: str,
                 name: str) -> Predicate:
        ci = tree.get("case_insensitive")
        problems = ops.check(tree.get("op"), tree.get("value"), "value" in tree, operand.kind,
                             ci, path, name)
        if problems:
            self.problems.extend(problems)
            return always_false
        self.uses_time |= operand.uses_time
        self.tables |= operand.tables
        op = tree["op"]
        value = tree.get("value")
        return leaf(operand, op, value, ops.build(op, value, ci is True), ci is True)

    def _count(self, tree: dict[str, Any], path: str) -> Predicate:
        spec, at = tree["count"], f"{path}.count"
        if not isinstance(spec, dict):
            return self.problem(at, 'count takes {"events": name(s) or "visits": true,'
                                    ' "within": duration}')
        self._unknown(spec, {"events", "visits", "within"}, at)
        within = self._duration(spec, "within", at)
        if ("events" in spec) == ("visits" in spec):
            return self.problem(at, 'count needs exactly one of "events" or "visits"')
        if "visits" in spec and spec["visits"] is not True:
            return self.problem(f"{at}.visits", '"visits" must be true')
        op = tree.get("op")
        if op not in ops.NUMERIC_OPS:
            return self.problem(f"{path}.op", "a count compares with one of "
                                + ", ".join(sorted(ops.NUMERIC_OPS)))
        names = self._names(spec.get("events"), f"{at}.events") if "events" in spec else None
        if within is None or (names is None and "events" in spec):
            return always_false
        getter = (windows.count_visits(within) if names is None
                  else windows.count_events(frozenset(names), within))
        self.uses_time = True
        return self._compare(Operand(get=getter, kind="number", uses_time=True), tree, path,
                             "a count")

    def _sequence(self, tree: dict[str, Any], path: str) -> Predicate:
        spec, at = tree["sequence"], f"{path}.sequence"
        if not isinstance(spec, dict):
            return self.problem(at, 'sequence takes {"steps": [names], "within": duration}')
        self._unknown(spec, {"steps", "within"}, at)
        within = self._duration(spec, "within", at)
        steps = self._names(spec.get("steps"), f"{at}.steps", single=False)
        if within is None or steps is None:
            return always_false
        self.uses_time = True
        return windows.sequence(tuple(steps), within)

    def _absence(self, tree: dict[str, Any], path: str) -> Predicate:
        spec, at = tree["absence"], f"{path}.absence"
        if not isinstance(spec, dict):
            return self.problem(at, 'absence takes {"after": name, "missing": name(s),'
                                    ' "for": duration}')
        self._unknown(spec, {"after", "missing", "for"}, at)
        wait = self._duration(spec, "for", at)
        after = self._names(spec.get("after"), f"{at}.after", many=False)
        missing = self._names(spec.get("missing"), f"{at}.missing")
        if wait is None or after is None or missing is None:
            return always_false
        self.uses_time = True
        return windows.absence(after[0], frozenset(missing), wait)

    def _unknown(self, spec: dict[str, Any], allowed: set[str], at: str) -> None:
        for key in spec:
            if key not in allowed:
                self.problem(f"{at}.{key}" if isinstance(key, str) else at,
                             f"unknown key {key!r}{did_you_mean(str(key), allowed)};"
                             f" expected {', '.join(sorted(allowed))}")

    def _duration(self, spec: dict[str, Any], key: str, at: str) -> float | None:
        if key not in spec:
            self.problem(f"{at}.{key}", f'"{key}" is required (a duration such as "10m")')
            return None
        seconds, problem = duration_problem(spec[key])
        if problem is not None:
            self.problem(f"{at}.{key}", problem)
            return None
        return seconds

    def _names(self, value: Any, at: str, single: bool = True,
               many: bool = True) -> list[str] | None:
        """Event names: one string (when ``single``) or a non-empty list (when ``many``)."""
        names = [value] if single and isinstance(value, str) else value
        if not many and not isinstance(value, str):
            names = None
        if (not isinstance(names, list) or not names or len(names) > ops.MAX_LIST
                or not all(isinstance(n, str) and 0 < len(n) <= MAX_NAME for n in names)):
            expected = ("an event name" if not many else
                        "an event name or a list of them" if single else "a list of event names")
            self.problem(at, f"expected {expected} (1-{MAX_NAME} characters each,"
                             f" at most {ops.MAX_LIST})")
            return None
        return names
