"""Rules as code: export a workspace's rules to YAML, apply a YAML file (with a diff),
and install the bundled playbooks."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import msgspec
import yaml
from sqlalchemy.ext.asyncio import AsyncConnection

from floorwalker.errors import ApiError
from floorwalker.rules import store, validate
from floorwalker.rules.model import Department, Scenario, Segment

# Order matters: departments before the scenarios that name them.
SECTIONS: tuple[tuple[str, str, type[Any], Any, str], ...] = (
    ("departments", "department", Department, validate.check_department, "invalid_department"),
    ("segments", "segment", Segment, validate.check_segment, "invalid_segment"),
    ("scenarios", "scenario", Scenario, validate.check_scenario, "invalid_scenario"),
)


@dataclass
class Change:
    """One item that an apply creates, updates or deletes."""

    kind: str
    key: str
    action: str  # create | update | delete | same
    diff: str = ""


@dataclass
class Plan:
    """What an apply does (or, on a dry run, would do)."""

    changes: list[Change] = field(default_factory=list)

    @property
    def effective(self) -> list[Change]:
        """The changes that are not "same"."""
        return [c for c in self.changes if c.action != "same"]


def playbook_names() -> list[str]:
    """The bundled playbooks."""
    folder = resources.files("floorwalker.rules") / "playbooks"
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir()
                  if p.name.endswith(".yaml"))


def load_playbook(name: str) -> dict[str, Any]:
    """A bundled playbook as a document."""
    if name not in playbook_names():
        raise ApiError(404, "not_found",
                       f"No playbook {name!r}; there are: {', '.join(playbook_names())}.")
    text = (resources.files("floorwalker.rules") / "playbooks" / f"{name}.yaml").read_text(
        encoding="utf-8")
    doc: dict[str, Any] = yaml.safe_load(text)
    return doc


def _yaml(value: Any) -> str:
    return str(yaml.safe_dump(msgspec.to_builtins(value), sort_keys=False, allow_unicode=True))


async def export(conn: AsyncConnection, workspace_id: str) -> dict[str, Any]:
    """The workspace's departments, segments and scenarios as a document."""
    doc: dict[str, Any] = {}
    for section, kind, type_, _check, _code in SECTIONS:
        doc[section] = [msgspec.to_builtins(v) for _i, v in
                        await store.list_defs(conn, kind, workspace_id, type_)]
    return doc


def dump(doc: dict[str, Any]) -> str:
    """A document as YAML."""
    return str(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))


async def apply(conn: AsyncConnection, workspace_id: str, doc: Any, *, dry_run: bool = False,
                prune: bool = False) -> Plan:
    """Create or replace every item of ``doc``; with ``prune`` delete the others.

    Every item is validated first: one invalid item applies nothing.
    """
    if not isinstance(doc, dict):
        raise ApiError(422, "invalid_rules", "A rules file is a mapping with departments, "
                                             "segments and scenarios.")
    unknown = set(doc) - {s[0] for s in SECTIONS}
    if unknown:
        raise ApiError(422, "invalid_rules", f"Unknown sections: {', '.join(sorted(unknown))}.")
    plan = Plan()
    writes: list[tuple[str, Any, bool]] = []
    for section, kind, type_, check, code in SECTIONS:
        items = doc.get(section) or []
        if not isinstance(items, list):
            raise ApiError(422, "invalid_rules", f"{section} must be a list.")
        existing = {getattr(v, store.TABLES[kind][1]): v for _i, v in
                    await store.list_defs(conn, kind, workspace_id, type_)}
        seen = set()
        for i, raw in enumerate(items):
            try:
                value = validate.decode_checked(raw, type_, check, code)
            except ApiError as exc:
                exc.message = f"{section}[{i}]: {exc.message}"
                raise
            key = getattr(value, store.TABLES[kind][1])
            seen.add(key)
            old = existing.get(key)
            if old is None:
                plan.changes.append(Change(kind, key, "create"))
                writes.append((kind, value, True))
            elif msgspec.to_builtins(old) != msgspec.to_builtins(value):
                diff = "".join(difflib.unified_diff(
                    _yaml(old).splitlines(True), _yaml(value).splitlines(True),
                    f"{kind}/{key} (current)", f"{kind}/{key} (file)"))
                plan.changes.append(Change(kind, key, "update", diff))
                writes.append((kind, value, False))
            else:
                plan.changes.append(Change(kind, key, "same"))
        if prune:
            for key in sorted(set(existing) - seen):
                plan.changes.append(Change(kind, key, "delete"))
    if dry_run:
        return plan
    for kind, value, create in writes:
        await store.save_def(conn, kind, workspace_id, value, create=create)
    for change in plan.changes:
        if change.action == "delete":
            await store.delete_def(conn, change.kind, workspace_id, change.key)
    return plan
