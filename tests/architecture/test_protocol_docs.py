"""The WebSocket protocol's documentation agrees with its types.

Every server frame type in ``protocol.ServerFrame`` is documented (docs/realtime.md, or
docs/console-api.md for the console's own frames) with exactly its fields, and every
frame the documents show exists; the same for client frames.
"""

from __future__ import annotations

import re
import typing
from pathlib import Path

import msgspec

from floorwalker import protocol
from floorwalker.live.visitors import PageRef, SourceRef, VisitorRow

DOCS = Path(__file__).resolve().parents[2] / "docs"
FRAME = re.compile(r'`\{"type": "([a-z_]+)"')


def top_level_keys(text: str, start: int) -> set[str]:
    """The keys of the JSON-like object that opens at ``text[start]`` (``{``), at its top
    level: a string followed by ``:``, or listed bare (``{"type", "client_id", ...}``)."""
    keys: set[str] = set()
    depth, i, previous = 0, start, ""
    while i < len(text):
        c = text[i]
        if c == '"':
            end = text.index('"', i + 1)
            word = text[i + 1:end]
            after = text[end + 1:].lstrip()[:1]
            if depth == 1 and (after == ":" or (previous in ",{" and after in ",}")):
                keys.add(word)
            i, previous = end + 1, '"'
            continue
        if c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return keys
        if not c.isspace():
            previous = c
        i += 1
    raise AssertionError(f"unclosed frame at {text[start:start + 60]!r}")


def members(union: object) -> dict[str, set[str]]:
    """Frame type -> its field names, from a tagged union of Structs."""
    found = {}
    for cls in typing.get_args(union):
        info = msgspec.inspect.type_info(cls)
        assert isinstance(info, msgspec.inspect.StructType)
        found[str(info.tag)] = {f.name for f in info.fields}
    return found


def documented(*names: str, section: str | None = None) -> dict[str, set[str]]:
    """Frame type -> the keys its examples show, over the given documents (or one
    section of them: the text after a heading that starts with ``section``)."""
    shown: dict[str, set[str]] = {}
    for name in names:
        text = (DOCS / name).read_text()
        if section is not None:
            parts = re.split(r"^#+ ", text, flags=re.M)
            text = "\n".join(p for p in parts if p.startswith(section))
        for match in FRAME.finditer(text):
            keys = top_level_keys(text, match.start() + 1) - {"type"}
            shown.setdefault(match.group(1), set()).update(keys)
    return shown


def test_every_server_frame_is_documented_with_its_fields() -> None:
    typed = members(protocol.ServerFrame)
    shown = documented("realtime.md", "console-api.md", section="Server")
    shown |= {k: v for k, v in documented("console-api.md").items()
              if k in ("visitors", "visitors_left", "alert", "presence")}
    # The agent's welcome adds account_id and agent_id (realtime.md, /ws/agent).
    shown["welcome"] |= documented("realtime.md", section="`/ws/agent`").get("welcome", set())
    assert set(shown) == set(typed)
    for kind, fields in typed.items():
        assert shown[kind] == fields, kind


def test_every_client_frame_is_documented() -> None:
    typed = members(protocol.ClientFrame)
    shown = documented("realtime.md", section="Visitor")
    shown |= documented("realtime.md", section="`/ws/agent`")
    assert set(typed) <= set(shown) | {"close", "status", "resume", "ping"}
    for kind in ("message", "typing", "read", "decision_response"):
        assert shown[kind] <= typed[kind], kind


def test_frames_encode_as_documented() -> None:
    assert msgspec.json.decode(protocol.error("not_found", "No.")) == {
        "type": "error", "code": "not_found", "message": "No."}
    visitor = msgspec.json.decode(protocol.encode(protocol.Welcome(
        v=1, heartbeat=25.0, conversations=[])))
    assert visitor == {"type": "welcome", "v": 1, "heartbeat": 25.0, "conversations": []}
    agent = msgspec.json.decode(protocol.encode(protocol.Welcome(
        v=1, heartbeat=25.0, conversations=[], account_id="acc_1", agent_id=None)))
    assert agent["agent_id"] is None and agent["account_id"] == "acc_1"


def test_the_visitor_row_is_documented_with_its_fields() -> None:
    text = (DOCS / "console-api.md").read_text()
    example = text.split("A **VisitorRow**:", 1)[1].split("```json", 1)[1].split("```", 1)[0]
    shown = top_level_keys(example, example.index("{"))
    assert shown == set(typing.get_type_hints(VisitorRow))
    nested = {"current_page": PageRef, "source": SourceRef}
    for key, kind in nested.items():
        start = example.index(f'"{key}": {{') + len(f'"{key}": ')
        assert top_level_keys(example, start) == set(typing.get_type_hints(kind)), key
