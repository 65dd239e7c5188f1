"""What a condition can read: the event, the visitor, the session, lookups and staffing.

The rules engine builds one :class:`EvalContext` per evaluation (an event, or a timer
firing with no event). Compiled conditions read it through closures; nothing here does
I/O: lookup tables and staffing are loaded before evaluation starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from floorwalker.events import Incoming
from floorwalker.profiles.model import Profile


class StaffingView(Protocol):
    """Who can answer right now, per department key."""

    def agents_online(self, department: str) -> int:
        """Agents of ``department`` whose status is online."""
        ...

    def agents_free(self, department: str) -> int:
        """Online agents of ``department`` with free chat capacity."""
        ...

    def free_slots(self, department: str) -> int:
        """Free chat slots summed over the department's online agents."""
        ...

    def in_business_hours(self, department: str, now: float) -> bool:
        """Whether ``now`` falls in the department's weekly schedule (not on a holiday)."""
        ...


class NoStaff:
    """A staffing view where nobody is online (used by tests and backtests)."""

    def agents_online(self, department: str) -> int:
        """Nobody."""
        return 0

    def agents_free(self, department: str) -> int:
        """Nobody."""
        return 0

    def free_slots(self, department: str) -> int:
        """None."""
        return 0

    def in_business_hours(self, department: str, now: float) -> bool:
        """Always closed."""
        return False


@dataclass(slots=True)
class EvalContext:
    """Everything one evaluation may read."""

    profile: Profile
    now: float
    event: Incoming | None = None
    # table name -> key -> row, for the tables the workspace's rules reference.
    lookups: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    staffing: StaffingView = field(default_factory=NoStaff)
    # Memo for values several conditions share (local time, engagement score...).
    memo: dict[str, Any] = field(default_factory=dict)
