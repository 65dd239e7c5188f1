"""Deciding who is helped, when and how: segments, scenario gates, staffing, decisions.

The engine runs inside the pipeline's writer, in the same transaction as the event
that caused it, so segment membership, caps and decisions commit together with it.
It does no I/O: rule sets, lookup tables and staffing are loaded beforehand, and what
must happen outside (webhooks, frames) is returned to run after the commit.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from typing import Any

import msgspec

from floorwalker.profiles.model import Profile
from floorwalker.rules.context import EvalContext
from floorwalker.rules.model import EMAIL_CONSENT, VISIBLE_ACTIONS, Action, Scenario
from floorwalker.rules.output import Fired, Output, Withdrawn
from floorwalker.rules.render import render_action
from floorwalker.rules.ruleset import CompiledScenario, RuleSet, current_page
from floorwalker.rules.staffing import Presence, Staffing

ENCODE = msgspec.json.Encoder()
DEFAULT_DEPARTMENT = "default"
# Limits over all of a session's proactive messages: a higher-priority scenario may
# replace an unanswered message instead of being stopped by them.
GLOBAL_LIMITS = frozenset({"min_gap", "cap_global"})
IDLE_TIMER = "__idle__"


class Outstanding:
    """Invitations shown and not yet answered, per department (they hold chat slots)."""

    def __init__(self) -> None:
        self._open: dict[tuple[str, str], dict[str, float]] = {}

    def count(self, workspace_id: str, department: str, now: float) -> int:
        """Open invitations of a department, dropping expired ones."""
        entries = self._open.get((workspace_id, department))
        if not entries:
            return 0
        for decision_id in [d for d, exp in entries.items() if exp <= now]:
            del entries[decision_id]
        return len(entries)

    def add(self, workspace_id: str, department: str, decision_id: str, expires: float) -> None:
        """Count a new invitation until it is answered or expires."""
        self._open.setdefault((workspace_id, department), {})[decision_id] = expires

    def close(self, decision_id: str) -> None:
        """The visitor answered or dismissed: the slot is free again."""
        for entries in self._open.values():
            entries.pop(decision_id, None)


def new_decision_id() -> str:
    """A random decision id (the only id of a decision the browser sees)."""
    return "d_" + secrets.token_hex(10)


def _variant(sc: Scenario, visitor_id: str) -> tuple[str | None, Action | None]:
    """The visitor's sticky variant: the same visitor always gets the same one."""
    if not sc.variants:
        return None, sc.action
    total = sum(max(0.0, v.weight) for v in sc.variants) or 1.0
    digest = hashlib.sha256(f"{sc.key}:{visitor_id}".encode()).digest()
    point = int.from_bytes(digest[:8], "big") / 2**64 * total
    acc = 0.0
    for v in sc.variants:
        acc += max(0.0, v.weight)
        if point < acc:
            return v.key, v.action
    return sc.variants[-1].key, sc.variants[-1].action


def held_out(sc: Scenario, visitor_id: str) -> bool:
    """Whether the visitor is in the scenario's holdout group (sticky, independent of the
    variant: each variant keeps the same share held out)."""
    if sc.holdout <= 0:
        return False
    digest = hashlib.sha256(f"holdout:{sc.key}:{visitor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < sc.holdout


class Engine:
    """Evaluates a workspace's rules for one visitor at a time."""

    def __init__(self, presence: Presence) -> None:
        self.presence = presence
        self.outstanding = Outstanding()

    def staffing(self, rs: RuleSet) -> Staffing:
        """The staffing view for a rule set."""
        return Staffing(rs.workspace_id, rs.departments, rs.agents, self.presence)

    # -- segments ----------------------------------------------------------------------
    def update_segments(self, rs: RuleSet, ctx: EvalContext, out: Output,
                        source: str) -> list[str]:
        """Re-evaluate membership; record entered/left on the timeline; return entered."""
        profile = ctx.profile
        entered: list[str] = []
        known = rs.segment_keys
        for seg in rs.segments:
            member = seg.check(ctx)
            was = seg.key in profile.segments
            if member and not was:
                profile.segments[seg.key] = ctx.now
                entered.append(seg.key)
                self._timeline(out, profile, "segment_entered", seg.key, ctx.now, source)
            elif was and not member:
                del profile.segments[seg.key]
                self._timeline(out, profile, "segment_left", seg.key, ctx.now, source)
        for key in [k for k in profile.segments if k not in known]:
            del profile.segments[key]  # the segment was deleted or disabled
        return entered

    @staticmethod
    def _timeline(out: Output, profile: Profile, name: str, segment: str, now: float,
                  source: str) -> None:
        out.events.append({
            "workspace_id": profile.workspace_id, "site_id": "", "visitor_id":
            profile.visitor_id, "message_id": f"sys-{uuid.uuid4().hex}", "type": "system",
            "name": name, "ts": now, "received_at": now,
            "properties": ENCODE.encode({"segment": segment, "cause": source}).decode(),
            "context": "{}"})

    # -- timers ------------------------------------------------------------------------
    def schedule(self, rs: RuleSet, ctx: EvalContext, out: Output) -> None:
        """Set the timers this event starts or moves (time on site, idle, absence)."""
        profile, ev = ctx.profile, ctx.event
        session = profile.session
        if ev is None or session is None:
            return
        eng = profile.engagement
        if rs.on_time_on_site and eng.get("tos_session") != session.id:
            eng["tos_session"] = session.id
            for sc in rs.on_time_on_site:
                self._timer(out, profile, sc.key, session.started_at + sc.trigger_seconds,
                            session.id)
        if rs.on_idle and ev.name != "page_ping":
            # Heartbeats say the tab is open, not that the visitor did something.
            # One idle timer per visitor, due at the shortest idle period that applies to
            # this page; when it fires it is re-armed for the next one.
            url, path = current_page(ctx)
            for sc in rs.on_idle:
                if sc.page_allowed(url, path):
                    self._timer(out, profile, IDLE_TIMER,
                                session.last_event_at + sc.trigger_seconds, session.id)
                    break
        for sc in rs.on_absence.get(ev.name, ()):
            self._timer(out, profile, sc.key, ev.ts + sc.trigger_seconds, session.id)

    @staticmethod
    def _timer(out: Output, profile: Profile, key: str, due: float, session_id: str) -> None:
        timer_id = f"{profile.visitor_id}:{key}"
        out.timers_set[timer_id] = {
            "id": timer_id, "workspace_id": profile.workspace_id,
            "visitor_id": profile.visitor_id, "scenario_key": key, "due_at": due,
            "session_id": session_id, "created_at": time.time()}

    # -- scenarios ---------------------------------------------------------------------
    def on_event(self, rs: RuleSet, ctx: EvalContext, out: Output) -> None:
        """Everything an event may cause."""
        assert ctx.event is not None
        entered = self.update_segments(rs, ctx, out, ctx.event.name)
        self.schedule(rs, ctx, out)
        candidates = list(rs.by_event.get(ctx.event.name, ()))
        for key in entered:
            candidates.extend(rs.by_segment.get(key, ()))
        if candidates:
            self.decide(rs, ctx, candidates, out, f"event:{ctx.event.name}")

    def on_timer(self, rs: RuleSet, ctx: EvalContext, scenario_key: str, session_id: str | None,
                 out: Output) -> None:
        """A persisted timer came due: scenarios are considered with no new event."""
        session = ctx.profile.session
        if session is None:
            return
        if scenario_key == IDLE_TIMER:
            self._on_idle(rs, ctx, session_id, out)
            return
        sc = rs.scenarios.get(scenario_key)
        if sc is None:
            return
        if sc.trigger_kind == "time_on_site" and session.id != session_id:
            return  # that visit is over
        self.update_segments(rs, ctx, out, f"timer:{scenario_key}")
        self.decide(rs, ctx, [sc], out, f"timer:{sc.trigger_kind}")

    def _on_idle(self, rs: RuleSet, ctx: EvalContext, session_id: str | None,
                 out: Output) -> None:
        session = ctx.profile.session
        assert session is not None
        if session.id != session_id:
            return
        idle = ctx.now - session.last_event_at
        url, path = current_page(ctx)
        done = ctx.profile.engagement.setdefault("idle_seen", {})
        if done.get("at") != session.last_event_at:
            done.clear()
            done["at"] = session.last_event_at
        due = [sc for sc in rs.on_idle if sc.trigger_seconds <= idle + 1
               and sc.key not in done and sc.page_allowed(url, path)]
        later = [sc for sc in rs.on_idle if sc.trigger_seconds > idle + 1
                 and sc.page_allowed(url, path)]
        if later:  # re-arm for the next, longer idle period
            self._timer(out, ctx.profile, IDLE_TIMER,
                        session.last_event_at + later[0].trigger_seconds, session.id)
        if not due:
            return
        for sc in due:
            done[sc.key] = True
        self.update_segments(rs, ctx, out, "timer:idle")
        self.decide(rs, ctx, due, out, "timer:idle")

    def decide(self, rs: RuleSet, ctx: EvalContext, candidates: list[CompiledScenario],
               out: Output, trigger: str) -> None:
        """Pick at most one scenario to act; record why the others did not."""
        profile = ctx.profile
        url, path = current_page(ctx)
        if len(candidates) > 1:
            candidates = sorted(candidates, key=lambda c: -c.definition.priority)
        matched = [c for c in candidates if c.matches(ctx, url, path)]
        won = False
        for sc in matched:
            definition = sc.definition
            variant, action = _variant(definition, profile.visitor_id)
            if action is None:
                continue
            if action.type == "email" and not can_email(profile):
                self._record(out, ctx, sc, variant, "suppressed", "no_email_consent", None,
                             trigger)
                continue
            visible = action.type in VISIBLE_ACTIONS
            if won and visible:
                self._record(out, ctx, sc, variant, "suppressed", "lower_priority", None, trigger)
                continue
            reason = self._gate(rs, ctx, sc, visible)
            replaces = None
            if reason in GLOBAL_LIMITS:
                replaces = _replaceable(ctx, definition.priority,
                                        rs.settings.invitation_ttl_seconds)
                if replaces is not None:
                    reason = None
            if reason:
                self._record(out, ctx, sc, variant, "suppressed", reason, None, trigger)
                continue
            outcome = "fired"
            dept = definition.department or DEFAULT_DEPARTMENT
            if definition.live():
                staff = self.staffing(rs)
                why = None
                if not staff.in_business_hours(dept, ctx.now) and dept in rs.departments:
                    why = "outside_hours"
                elif staff.agents_free(dept) == 0:
                    why = "no_agent"
                elif self.outstanding.count(rs.workspace_id, dept, ctx.now) >= \
                        staff.free_slots(dept):
                    why = "throttled"
                if why:
                    if definition.fallback is None:
                        self._record(out, ctx, sc, variant, "suppressed", why, None, trigger)
                        continue
                    outcome, action, reason = "fallback", definition.fallback, why
                    visible = action.type in VISIBLE_ACTIONS
            if held_out(definition, profile.visitor_id):
                # The control group: everything said yes, nothing is shown. The scenario's
                # own caps count it (so it is decided as often as for the others); nothing
                # else takes its place this time.
                decision_id = self._record(out, ctx, sc, variant, "held_out", reason, action,
                                           trigger)
                self._count(profile, sc, ctx.now, False, decision_id, definition.priority)
                if visible:
                    won = True
                continue
            decision_id = new_decision_id()
            payload = {"id": decision_id,
                       **render_action(action, ctx, definition.default_language)}
            self._record(out, ctx, sc, variant, outcome, reason, action, trigger, payload,
                         rs.settings.invitation_ttl_seconds, decision_id)
            if not visible:
                replaces = None  # a quiet fallback leaves the earlier message in place
            self._count(profile, sc, ctx.now, visible and definition.counts_toward_global_cap,
                        decision_id, definition.priority, replaced=replaces is not None)
            if replaces is not None:
                # The unanswered lower-priority message makes way: withdrawn in the same
                # transaction, its agent slot freed, the widget told after commit.
                out.withdrawn.append(Withdrawn(replaces, f"replaced_by:{sc.key}"[:64]))
                self.outstanding.close(replaces)
            if outcome == "fired" and definition.live():
                self.outstanding.add(rs.workspace_id, dept, decision_id,
                                     ctx.now + rs.settings.invitation_ttl_seconds)
            out.fired.append(Fired(
                decision_id=decision_id, scenario=sc.key, variant=variant, outcome=outcome,
                trigger=trigger, action=action, payload=payload,
                visitor_id=profile.visitor_id, workspace_id=profile.workspace_id,
                replaces=replaces, visitor=_summary(profile),
                event=({"name": ctx.event.name, "properties": ctx.event.properties}
                       if ctx.event is not None else None),
                email_to=(str(profile.attributes.get("email")) if action.type == "email"
                          else None),
                workspace_name=rs.settings.email_from_name or rs.workspace_name,
                email_from=rs.settings.email_from_address))
            if visible:
                won = True

    def _gate(self, rs: RuleSet, ctx: EvalContext, sc: CompiledScenario,
              visible: bool) -> str | None:
        """Why the visitor must not get this scenario now, or None."""
        eng = ctx.profile.engagement
        state = eng.get("scenarios", {}).get(sc.key, {})
        caps = sc.definition.caps
        now = ctx.now
        session = ctx.profile.session
        session_id = session.id if session else None
        if visible and eng.get("in_chat"):
            return "in_chat"
        if state.get("snoozed_until", 0) > now:
            return "snoozed"
        if caps.per_session is not None and state.get("session") == session_id and \
                state.get("session_count", 0) >= caps.per_session:
            return "cap_session"
        if caps.per_visitor is not None and state.get("count", 0) >= caps.per_visitor:
            return "cap_visitor"
        if caps.per_days is not None and state.get("last", 0) > now - caps.per_days * 86400:
            return "cap_period"
        if visible and sc.definition.counts_toward_global_cap:
            glob = eng.get("session", {})
            if glob.get("id") == session_id:
                if glob.get("count", 0) >= rs.settings.max_proactive_per_session:
                    return "cap_global"
                if now - glob.get("last", 0) < rs.settings.min_gap_seconds:
                    return "min_gap"
        return None

    @staticmethod
    def _count(profile: Profile, sc: CompiledScenario, now: float, global_cap: bool,
               decision_id: str, priority: int, *, replaced: bool = False) -> None:
        eng = profile.engagement
        session_id = profile.session.id if profile.session else None
        state = eng.setdefault("scenarios", {}).setdefault(sc.key, {})
        if state.get("session") != session_id:
            state["session"], state["session_count"] = session_id, 0
        state["session_count"] = state.get("session_count", 0) + 1
        state["count"] = state.get("count", 0) + 1
        state["last"] = now
        if global_cap:
            glob = eng.setdefault("session", {})
            if glob.get("id") != session_id:
                glob.clear()
                glob["id"] = session_id
            if not replaced:  # a replacement takes the withdrawn message's place
                glob["count"] = glob.get("count", 0) + 1
            glob["last"] = now
            glob["shown"] = {"id": decision_id, "priority": priority, "at": now}

    @staticmethod
    def _record(out: Output, ctx: EvalContext, sc: CompiledScenario, variant: str | None,
                outcome: str, reason: str | None, action: Action | None, trigger: str,
                payload: dict[str, Any] | None = None, ttl: float = 300.0,
                decision_id: str | None = None) -> str:
        decision_id = decision_id or new_decision_id()
        out.decisions.append({
            "id": decision_id, "workspace_id": ctx.profile.workspace_id,
            "visitor_id": ctx.profile.visitor_id, "scenario_key": sc.key, "variant": variant,
            "outcome": outcome, "reason": reason,
            "action_type": action.type if action else None,
            "payload": ENCODE.encode(payload).decode() if payload is not None else None,
            "trigger": trigger[:255], "created_at": ctx.now,
            "expires_at": ctx.now + ttl if payload is not None else None,
            "delivered_at": None, "response": None, "responded_at": None,
            "segments": ctx.profile.segments_text()})
        return decision_id


def _replaceable(ctx: EvalContext, priority: int, ttl: float) -> str | None:
    """The session's last proactive message, when a scenario of ``priority`` may replace it.

    Only an unanswered message (the visitor has not started a chat: ``in_chat`` gates
    before) of lower priority, still on offer (within its time to live), makes way; the
    global gap and cap exist to spare the visitor a second message, not to keep a
    cross-sell on screen when their payment just failed.
    """
    session = ctx.profile.session
    glob = ctx.profile.engagement.get("session", {})
    shown = glob.get("shown")
    if session is None or glob.get("id") != session.id or not isinstance(shown, dict):
        return None
    if shown.get("priority", 0) >= priority or shown.get("at", 0) + ttl <= ctx.now:
        return None
    decision_id = shown.get("id")
    return decision_id if isinstance(decision_id, str) else None


def can_email(profile: Profile) -> bool:
    """Whether an ``email`` action may go to this visitor: identified with a verified user
    id, with an address, and agreed (``email_consent`` true in their profile)."""
    address = profile.attributes.get("email")
    return (profile.user_id is not None and isinstance(address, str) and "@" in address
            and profile.attributes.get(EMAIL_CONSENT) is True)


def _summary(profile: Profile) -> dict[str, Any]:
    """What server-side receivers (webhooks, agents) learn about the visitor."""
    session = profile.session
    return {"visitor_id": profile.visitor_id, "user_id": profile.user_id,
            "anonymous_ids": list(profile.anonymous_ids[-3:]),
            "segments": sorted(profile.segments), "language": profile.language,
            "geo": profile.geo, "customer": profile.is_customer,
            "cart_value": profile.cart.value, "currency": profile.cart.currency,
            "lifetime_revenue": profile.lifetime_revenue, "visit_count": profile.visit_count,
            "current_page": (session.current_page.url if session and session.current_page
                             else None)}


def snooze(profile: Profile, scenario_key: str, seconds: float, now: float) -> None:
    """After a dismissal the scenario stays quiet for this visitor for ``seconds``."""
    state = profile.engagement.setdefault("scenarios", {}).setdefault(scenario_key, {})
    state["snoozed_until"] = now + seconds
