"""The bus: how a committed change reaches the sockets that care (in process, Redis later)."""

from floorwalker.bus.memory import Bus, MemoryBus, Subscription

__all__ = ["Bus", "MemoryBus", "Subscription"]
