"""The bus interface and its in-process implementation.

Publishers call :meth:`Bus.publish` only after the write a frame describes has committed
(DESIGN invariant 4). A subscription is a bounded queue fed from any number of
channels; a subscriber that falls too far behind is marked ``overflowed`` and its
connection is closed (it resumes from its last sequence number on reconnect).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Protocol

QUEUE_LIMIT = 1000


class Subscription:
    """Frames from some channels, in publish order."""

    def __init__(self, bus: MemoryBus) -> None:
        self.bus = bus
        self.queue: asyncio.Queue[bytes] = asyncio.Queue(QUEUE_LIMIT)
        self.channels: set[str] = set()
        self.overflowed = False

    def add(self, channel: str) -> None:
        """Also receive ``channel``."""
        self.channels.add(channel)
        self.bus._subs.setdefault(channel, set()).add(self)

    def remove(self, channel: str) -> None:
        """Stop receiving ``channel``."""
        self.channels.discard(channel)
        subs = self.bus._subs.get(channel)
        if subs is not None:
            subs.discard(self)
            if not subs:
                del self.bus._subs[channel]

    def close(self) -> None:
        """Stop receiving anything."""
        for channel in list(self.channels):
            self.remove(channel)

    def deliver(self, message: bytes) -> None:
        """Queue a frame (called by the bus)."""
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.overflowed = True


class Bus(Protocol):
    """What publishers and sockets use."""

    async def publish(self, channel: str, message: bytes) -> None:
        """Send ``message`` to every subscriber of ``channel``."""
        ...

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        """A new subscription to ``channels``."""
        ...

    def subscribers(self, channel: str) -> int:
        """How many sockets of this process listen on a channel."""
        ...


class MemoryBus:
    """One process: channels are a dict of sets."""

    def __init__(self) -> None:
        self._subs: dict[str, set[Subscription]] = {}

    async def publish(self, channel: str, message: bytes) -> None:
        """Deliver to current subscribers (nothing is kept for later ones)."""
        for sub in list(self._subs.get(channel, ())):
            sub.deliver(message)

    def subscribe(self, channels: Iterable[str]) -> Subscription:
        """A subscription to ``channels``."""
        sub = Subscription(self)
        for channel in channels:
            sub.add(channel)
        return sub

    def subscribers(self, channel: str) -> int:
        """How many subscriptions receive ``channel`` (for metrics and tests)."""
        return len(self._subs.get(channel, ()))
