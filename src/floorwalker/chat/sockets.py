"""How many ``/ws/visitor`` sockets are open, per visitor and per client address.

One browser id may hold a few sockets (one per tab), one address a few more (an office
behind one NAT); past that a socket is refused with close code 4429 and a reason that says
which limit, so a script cannot open hundreds of sockets for one visitor. Counted in this
process: behind a load balancer each process enforces its own share.
"""

from __future__ import annotations

import asyncio
from collections import Counter

PER_VISITOR = "too many connections for this visitor"
PER_ADDRESS = "too many connections from this address"


class VisitorSockets:
    """Counts of open visitor sockets; a limit of 0 is no limit."""

    def __init__(self, per_visitor: int, per_address: int) -> None:
        self.per_visitor = per_visitor
        self.per_address = per_address
        self._visitors: Counter[str] = Counter()
        self._addresses: Counter[str] = Counter()
        self._locks: dict[str, asyncio.Lock] = {}

    def acquire(self, visitor: str, address: str) -> str | None:
        """Count one more socket, or return why it is refused (counting nothing)."""
        if self.per_address and self._addresses[address] >= self.per_address:
            return PER_ADDRESS
        if self.per_visitor and self._visitors[visitor] >= self.per_visitor:
            return PER_VISITOR
        self._visitors[visitor] += 1
        self._addresses[address] += 1
        return None

    def release(self, visitor: str, address: str) -> None:
        """A socket counted by :meth:`acquire` closed."""
        for counts, key in ((self._visitors, visitor), (self._addresses, address)):
            counts[key] -= 1
            if counts[key] <= 0:
                del counts[key]
        if visitor not in self._visitors:
            self._locks.pop(visitor, None)

    def lock(self, visitor: str) -> asyncio.Lock:
        """A lock for one visitor's sockets (kept while any is open), so that two tabs
        never both start a conversation."""
        found = self._locks.get(visitor)
        if found is None:
            found = self._locks[visitor] = asyncio.Lock()
        return found

    def open(self, visitor: str) -> int:
        """Sockets open for this visitor key now."""
        return self._visitors[visitor]
