"""A small MaxMind DB (MMDB v2) writer, enough to build City-shaped test databases.

Follows the public MaxMind DB format: a binary search tree of 24-bit records keyed by the
address bits, 16 zero bytes, a data section in the MaxMind data-type encoding, then the
metadata marker and a metadata map. IPv4 networks go under ::/96 of an IPv6 tree, where
readers look them up. No pointers or deduplication: test databases are tiny.
"""

from __future__ import annotations

import ipaddress
import struct
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

_METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"
_RECORD_LIMIT = 1 << 24

# Data types (those with a number above 7 are "extended").
_UTF8, _DOUBLE, _UINT16, _UINT32, _MAP = 2, 3, 5, 6, 7
_UINT64, _ARRAY, _BOOLEAN = 9, 11, 14

Value = str | float | int | bool | Mapping[str, "Value"] | Sequence["Value"]


def _control(type_number: int, size: int) -> bytes:
    """Control byte(s): 3 type bits, 5 size bits, then extended type and size bytes."""
    if size < 29:
        size_bits, extra = size, b""
    elif size < 29 + 256:
        size_bits, extra = 29, bytes([size - 29])
    elif size < 285 + 65536:
        size_bits, extra = 30, struct.pack(">H", size - 285)
    else:
        size_bits, extra = 31, struct.pack(">I", size - 65821)[1:]
    if type_number <= 7:
        return bytes([(type_number << 5) | size_bits]) + extra
    return bytes([size_bits, type_number - 7]) + extra


def _unsigned(type_number: int, value: int) -> bytes:
    payload = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
    return _control(type_number, len(payload)) + payload


def encode(value: Value) -> bytes:
    """Encode one value in the MaxMind DB data format."""
    if isinstance(value, bool):
        return _control(_BOOLEAN, int(value))
    if isinstance(value, str):
        raw = value.encode()
        return _control(_UTF8, len(raw)) + raw
    if isinstance(value, float):
        return _control(_DOUBLE, 8) + struct.pack(">d", value)
    if isinstance(value, int):
        return _unsigned(_UINT32 if value < 1 << 32 else _UINT64, value)
    if isinstance(value, Mapping):
        body = b"".join(encode(key) + encode(item) for key, item in value.items())
        return _control(_MAP, len(value)) + body
    body = b"".join(encode(item) for item in value)
    return _control(_ARRAY, len(value)) + body


class _Node:
    __slots__ = ("children",)

    def __init__(self) -> None:
        # Each child: a _Node, an int data offset, or None (no data).
        self.children: list[_Node | int | None] = [None, None]


def _bits(network: str) -> tuple[int, int]:
    """Return (address as a 128-bit int, prefix length in the IPv6 tree)."""
    net = ipaddress.ip_network(network)
    if isinstance(net, ipaddress.IPv4Network):
        return int(net.network_address), net.prefixlen + 96
    return int(net.network_address), net.prefixlen


def write_mmdb(
    path: Path,
    networks: Mapping[str, Mapping[str, Value]],
    *,
    database_type: str = "GeoLite2-City",
) -> Path:
    """Write an IPv6 MMDB file mapping each network (CIDR, non-overlapping) to its record."""
    root = _Node()
    data = bytearray()
    for network, record in networks.items():
        address, prefix = _bits(network)
        offset = len(data)
        data += encode(record)
        node = root
        for depth in range(prefix):
            bit = (address >> (127 - depth)) & 1
            if depth == prefix - 1:
                node.children[bit] = offset
                break
            child = node.children[bit]
            if not isinstance(child, _Node):
                child = _Node()
                node.children[bit] = child
            node = child

    nodes: list[_Node] = []
    queue = [root]
    while queue:  # breadth-first numbering; the root must be node 0
        node = queue.pop(0)
        nodes.append(node)
        queue.extend(child for child in node.children if isinstance(child, _Node))
    index = {id(node): number for number, node in enumerate(nodes)}
    node_count = len(nodes)

    def record_value(child: _Node | int | None) -> int:
        if isinstance(child, _Node):
            return index[id(child)]
        if child is None:
            return node_count
        return node_count + 16 + child

    tree = bytearray()
    for node in nodes:
        for child in node.children:
            value = record_value(child)
            assert value < _RECORD_LIMIT, "database too large for 24-bit records"
            tree += value.to_bytes(3, "big")

    # Reader implementations check the integer widths, so encode each field explicitly.
    metadata: dict[str, bytes] = {
        "binary_format_major_version": _unsigned(_UINT16, 2),
        "binary_format_minor_version": _unsigned(_UINT16, 0),
        "build_epoch": _unsigned(_UINT64, int(time.time())),
        "database_type": encode(database_type),
        "description": encode({"en": "Floorwalker test database"}),
        "ip_version": _unsigned(_UINT16, 6),
        "languages": encode(["en"]),
        "node_count": _unsigned(_UINT32, node_count),
        "record_size": _unsigned(_UINT16, 24),
    }
    meta = b"".join(encode(key) + value for key, value in metadata.items())
    path.write_bytes(
        bytes(tree)
        + bytes(16)
        + bytes(data)
        + _METADATA_MARKER
        + _control(_MAP, len(metadata))
        + bytes(meta)
    )
    return path
