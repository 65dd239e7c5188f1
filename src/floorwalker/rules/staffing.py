"""Who can answer: departments, agents' capacity and presence, business hours.

Presence (online / away / offline and open chats) lives in process memory: the agent
WebSocket feeds it; the admin API and tests set it through :class:`Presence`.
Departments and agents come from the database (cached by the rules cache).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from floorwalker.rules.model import Agent, BusinessHours, Department

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STATUSES = ("online", "away", "offline")


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo | None:
    """A ZoneInfo, or None for an unknown name."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def _minutes(hhmm: str) -> int:
    hours, _, minutes = hhmm.partition(":")
    return int(hours) * 60 + int(minutes or 0)


def is_open(hours: BusinessHours | None, now: float) -> bool:
    """Whether ``now`` is inside the weekly schedule and not on a holiday."""
    if hours is None:
        return True
    tz = zone(hours.time_zone)
    local = datetime.fromtimestamp(now, tz) if tz else datetime.fromtimestamp(now)
    if local.date().isoformat() in hours.holidays:
        return False
    minute = local.hour * 60 + local.minute
    for interval in hours.weekly.get(WEEKDAYS[local.weekday()], []):
        start, end = _minutes(interval.start), _minutes(interval.end)
        if start <= minute < (end if end > start else 24 * 60):
            return True
    return False


def check_hours(hours: BusinessHours) -> list[str]:
    """Problems in a schedule (unknown zone, bad day or time)."""
    problems = []
    if zone(hours.time_zone) is None:
        problems.append(f"unknown time zone {hours.time_zone!r}")
    for day, intervals in hours.weekly.items():
        if day not in WEEKDAYS:
            problems.append(f"unknown weekday {day!r} (use mon..sun)")
        for interval in intervals:
            for value in (interval.start, interval.end):
                try:
                    minutes = _minutes(value)
                    ok = 0 <= minutes <= 24 * 60 and len(value) == 5
                except ValueError:
                    ok = False
                if not ok:
                    problems.append(f"bad time {value!r} on {day} (use HH:MM)")
    for day in hours.holidays:
        try:
            datetime.strptime(day, "%Y-%m-%d")
        except ValueError:
            problems.append(f"bad holiday date {day!r} (use YYYY-MM-DD)")
    return problems


@dataclass(slots=True)
class AgentPresence:
    """One agent's live state."""

    status: str = "offline"
    active_chats: int = 0


class Presence:
    """Live agent presence per workspace (in process; Redis later)."""

    def __init__(self) -> None:
        self._state: dict[tuple[str, str], AgentPresence] = {}

    def set(self, workspace_id: str, agent_id: str, *, status: str | None = None,
            active_chats: int | None = None) -> AgentPresence:
        """Update an agent's status and/or open chat count."""
        state = self._state.setdefault((workspace_id, agent_id), AgentPresence())
        if status is not None:
            if status not in STATUSES:
                raise ValueError(f"status must be one of {', '.join(STATUSES)}")
            state.status = status
        if active_chats is not None:
            state.active_chats = max(0, active_chats)
        return state

    def get(self, workspace_id: str, agent_id: str) -> AgentPresence:
        """An agent's state (offline when unknown)."""
        return self._state.get((workspace_id, agent_id), AgentPresence())

    def forget(self, workspace_id: str, agent_id: str) -> None:
        """Drop an agent (deleted)."""
        self._state.pop((workspace_id, agent_id), None)


@dataclass(slots=True)
class Staffing:
    """The staffing view of one workspace at one moment (implements StaffingView)."""

    workspace_id: str
    departments: dict[str, Department]
    agents: dict[str, Agent]  # by agent id
    presence: Presence
    outstanding: dict[str, int] = field(default_factory=dict)

    def _members(self, department: str) -> list[tuple[Agent, AgentPresence]]:
        return [(agent, self.presence.get(self.workspace_id, agent_id))
                for agent_id, agent in self.agents.items() if department in agent.departments]

    def agents_online(self, department: str) -> int:
        """Members whose status is online."""
        return sum(1 for _a, p in self._members(department) if p.status == "online")

    def agents_free(self, department: str) -> int:
        """Online members with fewer open chats than their capacity."""
        return sum(1 for a, p in self._members(department)
                   if p.status == "online" and p.active_chats < a.max_chats)

    def free_slots(self, department: str) -> int:
        """Open chat capacity of the online members."""
        return sum(max(0, a.max_chats - p.active_chats) for a, p in self._members(department)
                   if p.status == "online")

    def in_business_hours(self, department: str, now: float) -> bool:
        """Inside the department's schedule (unknown departments are closed)."""
        dept = self.departments.get(department)
        return dept is not None and is_open(dept.business_hours, now)
