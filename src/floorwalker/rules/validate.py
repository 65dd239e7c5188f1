"""Checks of definitions beyond their types: conditions, templates, durations, triggers."""

from __future__ import annotations

import re
from typing import Any

import msgspec

from floorwalker.errors import ApiError
from floorwalker.rules.conditions import ConditionError, parse_duration, validate
from floorwalker.rules.model import Action, Agent, Conversion, Department, Scenario, Segment
from floorwalker.rules.staffing import check_hours
from floorwalker.texts.i18n import validate_versions
from floorwalker.texts.templates import validate_template

KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")

Problem = dict[str, str]


def _p(path: str, problem: str) -> Problem:
    return {"path": path, "problem": problem}


def _condition(tree: Any, path: str) -> list[Problem]:
    return [_p(path + p.path.removeprefix("$"), p.problem) for p in validate(tree)]


def _duration(value: Any, path: str) -> list[Problem]:
    try:
        parse_duration(value)
    except (ConditionError, ValueError, TypeError) as exc:
        return [_p(path, str(exc))]
    return []


def _key(key: str, path: str) -> list[Problem]:
    if KEY.match(key):
        return []
    return [_p(path, "a key is 1-64 lower-case letters, digits, '_' or '-'")]


def check_action(action: Action, path: str, default_language: str) -> list[Problem]:
    """Problems in an action's texts and fields."""
    problems: list[Problem] = []
    if action.type in ("chat_invitation", "popup", "open_chat", "email_capture") \
            and not action.text:
        problems.append(_p(path + ".text", "this action needs a text in at least one language"))
    for field in ("text", "title", "button"):
        versions = getattr(action, field)
        if versions:
            problems += [_p(f"{path}.{field}", msg)
                         for msg in validate_versions(versions, default_language)]
    if action.coupon:
        problems += [_p(path + ".coupon", msg) for msg in validate_template(action.coupon)]
    if action.type == "webhook" and not (action.url or "").startswith(("http://", "https://")):
        problems.append(_p(path + ".url", "a webhook needs an http(s) URL"))
    if action.type == "faq_link" and not action.url:
        problems.append(_p(path + ".url", "an FAQ link needs a URL"))
    if action.type == "phone_card" and not action.phone:
        problems.append(_p(path + ".phone", "a phone card needs a phone number"))
    if action.type == "email":
        if not action.text:
            problems.append(_p(path + ".text", "an e-mail needs a text in at least one language"))
        if not action.title:
            problems.append(_p(path + ".title", "an e-mail needs a subject (title) in at least "
                               "one language"))
        if action.url and not action.url.startswith(("https://", "http://")):
            problems.append(_p(path + ".url", "an e-mail's link is an http(s) URL"))
    if action.type == "notify_agents" and not (action.agents or action.department):
        problems.append(_p(path, "name agents or a department to notify"))
    return problems


def check_segment(seg: Segment) -> list[Problem]:
    """Every problem of a segment definition."""
    problems = _key(seg.key, "$.key")
    if not seg.name.strip():
        problems.append(_p("$.name", "a segment needs a name"))
    if not COLOR.match(seg.color):
        problems.append(_p("$.color", "a colour is #rrggbb"))
    return problems + _condition(seg.condition, "$.condition")


MAX_HOLDOUT = 0.5
MAX_WINDOW_HOURS = 720
MAX_EVENT_NAME = 255


def _conversion(conv: Conversion | None) -> list[Problem]:
    if conv is None:
        return []
    problems = []
    if conv.event is not None and not 0 < len(conv.event.strip()) <= MAX_EVENT_NAME:
        problems.append(_p("$.conversion.event",
                           f"an event name has 1 to {MAX_EVENT_NAME} characters"))
    if conv.min_value is not None and not (0 <= conv.min_value < 1e15):
        problems.append(_p("$.conversion.min_value", "a minimum value is >= 0"))
    if conv.window_hours is not None and not 1 <= conv.window_hours <= MAX_WINDOW_HOURS:
        problems.append(_p("$.conversion.window_hours",
                           f"the window is 1 to {MAX_WINDOW_HOURS} hours"))
    return problems


def check_scenario(sc: Scenario) -> list[Problem]:
    """Every problem of a scenario definition."""
    problems = _key(sc.key, "$.key")
    trigger = sc.trigger
    set_fields = [f for f in ("event", "segment_entered", "time_on_site", "idle", "absence")
                  if getattr(trigger, f) not in (None, [], "")]
    if len(set_fields) != 1:
        problems.append(_p("$.trigger", "set exactly one of event, segment_entered, "
                                        "time_on_site, idle, absence"))
    for f in ("time_on_site", "idle"):
        if getattr(trigger, f) is not None:
            problems += _duration(getattr(trigger, f), f"$.trigger.{f}")
    if trigger.absence is not None:
        problems += _condition({"absence": trigger.absence}, "$.trigger")
    if sc.condition is not None:
        problems += _condition(sc.condition, "$.condition")
    if sc.action is None and not sc.variants:
        problems.append(_p("$.action", "a scenario needs an action or variants"))
    if sc.action is not None:
        problems += check_action(sc.action, "$.action", sc.default_language)
    keys = set()
    for i, v in enumerate(sc.variants):
        if v.key in keys:
            problems.append(_p(f"$.variants[{i}].key", "variant keys must be unique"))
        keys.add(v.key)
        if v.weight < 0:
            problems.append(_p(f"$.variants[{i}].weight", "a weight is >= 0"))
        problems += check_action(v.action, f"$.variants[{i}].action", sc.default_language)
    if sc.fallback is not None:
        problems += check_action(sc.fallback, "$.fallback", sc.default_language)
    problems += _duration(sc.caps.snooze_after_dismiss, "$.caps.snooze_after_dismiss")
    if not 0.0 <= sc.holdout <= MAX_HOLDOUT:
        problems.append(_p("$.holdout", f"holdout is a share from 0 to {MAX_HOLDOUT}"))
    problems += _conversion(sc.conversion)
    for name in ("per_session", "per_visitor", "per_days"):
        value = getattr(sc.caps, name)
        if value is not None and value < 0:
            problems.append(_p(f"$.caps.{name}", "a cap is >= 0"))
    for i, pattern in enumerate(sc.pages.include + sc.pages.exclude):
        if len(pattern) > 500:
            problems.append(_p(f"$.pages[{i}]", "a page pattern is at most 500 characters"))
    return problems


def check_department(dept: Department) -> list[Problem]:
    """Problems of a department."""
    problems = _key(dept.key, "$.key")
    if dept.business_hours is not None:
        problems += [_p("$.business_hours", msg) for msg in check_hours(dept.business_hours)]
    return problems


def check_agent(agent: Agent) -> list[Problem]:
    """Problems of an agent."""
    problems = []
    if "@" not in agent.email:
        problems.append(_p("$.email", "an e-mail address is needed"))
    if agent.max_chats < 0 or agent.max_chats > 100:
        problems.append(_p("$.max_chats", "max_chats is 0-100"))
    return problems


def decode_checked(body: bytes | Any, kind: type[Any], check: Any, code: str) -> Any:
    """Decode a definition strictly, run its checks, raise 422 with every problem."""
    try:
        value = (msgspec.json.decode(body, type=kind) if isinstance(body, bytes)
                 else msgspec.convert(body, type=kind))
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        text = str(exc)
        message, _, where = text.partition(" - at `")
        path = where.rstrip("`") or "$"
        raise ApiError(422, code, f"{path}: {message}", [_p(path, message)]) from None
    problems = check(value)
    if problems:
        first = problems[0]
        raise ApiError(422, code, f"{first['path']}: {first['problem']}", problems)
    return value
