"""Condition benchmark: the six seed conditions, compiled, against their limit and peers.

Run it with ``.venv/bin/python benchmarks/conditions.py [--rounds 7] [--seconds 0.4]``.

The same inputs go through four implementations of the six seed conditions of
PRODUCT.md §3 (few search results, payment failure, cart over 500, coupon failure,
important FAQ, loyal customer viewing a high-margin item):

  compiled      the condition language: ``compile_condition(tree).evaluate(ctx)``
                (``compiled()`` is also shown: the same through ``Compiled.__call__``)
  hand-written  the same conditions as plain Python functions on the context (the limit)
  json-logic    ``panzi-json-logic`` (``jsonLogic(rule, data)``)
  rule-engine   ``rule-engine`` (``Rule(text).matches(data)``)

Each condition is evaluated on events of its own name, on both sides of its boundary (the
engine indexes scenarios by event name, so this is the work it really does). The peers
get the data pre-flattened into a dict, with the engagement score and the product margin
already computed, outside the timing: that favours them. Figures are the median over
rounds of ns per evaluation, after subtracting the cost of the empty loop. Targets:
compiled >= 0.5x the hand-written speed, >= 10x faster than the faster peer. This is a
benchmark, not a test: it asserts nothing except that every implementation agrees.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

import rule_engine  # type: ignore[import-untyped]
from json_logic import jsonLogic  # type: ignore[import-untyped]

from floorwalker.events import Incoming
from floorwalker.profiles.model import Cart, CartItem, Profile, Purchase, Session
from floorwalker.rules.conditions import compile_condition
from floorwalker.rules.conditions.derived import engagement_score
from floorwalker.rules.context import EvalContext

NOW = 1_750_000_000.0
DAY = 86400.0
FAQ_TITLES = ["Delivery times", "Returns", "Warranty"]
PRODUCTS = {"products": {"SKU1": {"margin": 0.35}, "SKU2": {"margin": 0.19}}}

SEEDS: dict[str, Any] = {
    "search": {"all": [{"path": "event.name", "op": "eq", "value": "search"},
                       {"path": "event.result_count", "op": "lt", "value": 10}]},
    "payment_failure": {"all": [{"path": "event.name", "op": "eq", "value": "payment_failure"},
                                {"path": "event.payment_method", "op": "exists"}]},
    "cart": {"path": "visitor.cart.value", "op": "gt", "value": 500},
    "coupon_failure": {"all": [{"path": "event.name", "op": "eq", "value": "coupon_failure"},
                               {"path": "event.coupon", "op": "exists"}]},
    "faq": {"all": [{"path": "event.name", "op": "eq", "value": "open_faq"},
                    {"path": "event.title", "op": "in", "value": FAQ_TITLES,
                     "case_insensitive": True}]},
    "loyal": {"all": [{"path": "event.name", "op": "eq", "value": "view_item"},
                      {"path": "visitor.customer", "op": "eq", "value": True},
                      {"path": "visitor.engagement_score", "op": "gt", "value": 50},
                      {"path": "lookup.products[event.item_id].margin", "op": "gte",
                       "value": 0.2}]},
}

# -- the limit: the same conditions written by hand, as safely ----------------------------


def _number(value: Any) -> float | None:
    if type(value) is int or type(value) is float:
        return value
    if type(value) is str:
        try:
            return float(value)
        except ValueError:
            return None
    return None


def hand_search(ctx: EvalContext) -> bool:
    ev = ctx.event
    if ev is None or ev.name != "search":
        return False
    count = _number(ev.properties.get("result_count"))
    return count is not None and count < 10


def hand_payment(ctx: EvalContext) -> bool:
    ev = ctx.event
    return ev is not None and ev.name == "payment_failure" and \
        ev.properties.get("payment_method") is not None


def hand_cart(ctx: EvalContext) -> bool:
    return ctx.profile.cart.value > 500


def hand_coupon(ctx: EvalContext) -> bool:
    ev = ctx.event
    return ev is not None and ev.name == "coupon_failure" and \
        ev.properties.get("coupon") is not None


_TITLES = frozenset(t.casefold() for t in FAQ_TITLES)


def hand_faq(ctx: EvalContext) -> bool:
    ev = ctx.event
    if ev is None or ev.name != "open_faq":
        return False
    title = ev.properties.get("title")
    return type(title) is str and title.casefold() in _TITLES


def hand_loyal(ctx: EvalContext) -> bool:
    ev = ctx.event
    if ev is None or ev.name != "view_item" or ctx.profile.purchase_count <= 0:
        return False
    if engagement_score(ctx) <= 50:
        return False
    props = ev.properties
    item_id = props.get("item_id")
    if item_id is None:
        items = props.get("items")
        if isinstance(items, list) and items and isinstance(items[0], dict):
            item_id = items[0].get("item_id")
    row = ctx.lookups.get("products", {}).get(str(item_id)) if item_id is not None else None
    margin = _number(row.get("margin")) if row is not None else None
    return margin is not None and margin >= 0.2


HAND: dict[str, Callable[[EvalContext], bool]] = {
    "search": hand_search, "payment_failure": hand_payment, "cart": hand_cart,
    "coupon_failure": hand_coupon, "faq": hand_faq, "loyal": hand_loyal}

# -- peers: the same conditions in their languages, on pre-flattened data ------------------

JSON_LOGIC: dict[str, Any] = {
    "search": {"and": [{"==": [{"var": "event.name"}, "search"]},
                       {"!=": [{"var": "event.result_count"}, None]},
                       {"<": [{"var": "event.result_count"}, 10]}]},
    "payment_failure": {"and": [{"==": [{"var": "event.name"}, "payment_failure"]},
                                {"!=": [{"var": "event.payment_method"}, None]}]},
    "cart": {">": [{"var": "visitor.cart_value"}, 500]},
    "coupon_failure": {"and": [{"==": [{"var": "event.name"}, "coupon_failure"]},
                               {"!=": [{"var": "event.coupon"}, None]}]},
    "faq": {"and": [{"==": [{"var": "event.name"}, "open_faq"]},
                    {"in": [{"var": "event.title_lower"}, [t.lower() for t in FAQ_TITLES]]}]},
    "loyal": {"and": [{"==": [{"var": "event.name"}, "view_item"]},
                      {"==": [{"var": "visitor.customer"}, True]},
                      {">": [{"var": "visitor.engagement_score"}, 50]},
                      {"!=": [{"var": "lookup.margin"}, None]},
                      {">=": [{"var": "lookup.margin"}, 0.2]}]},
}
_RE_CONTEXT = rule_engine.Context(default_value=None)
RULE_ENGINE = {key: rule_engine.Rule(text, context=_RE_CONTEXT) for key, text in {
    "search": 'event.name == "search" and event.result_count != null'
              " and event.result_count < 10",
    "payment_failure": 'event.name == "payment_failure" and event.payment_method != null',
    "cart": "visitor.cart_value > 500",
    "coupon_failure": 'event.name == "coupon_failure" and event.coupon != null',
    "faq": 'event.name == "open_faq" and event.title_lower in '
           + "[" + ", ".join(f'"{t.lower()}"' for t in FAQ_TITLES) + "]",
    "loyal": 'event.name == "view_item" and visitor.customer and'
             " visitor.engagement_score > 50 and lookup.margin != null and lookup.margin >= 0.2",
}.items()}


def json_logic_matches(rule: Any, data: dict[str, Any]) -> bool:
    """A json-logic rule applied to ``data``."""
    return bool(jsonLogic(rule, data))


def rule_engine_matches(rule: rule_engine.Rule, data: dict[str, Any]) -> bool:
    """rule-engine raises on type mismatches; a raise counts as false, like ours."""
    try:
        return bool(rule.matches(data))
    except rule_engine.errors.EngineError:
        return False

# -- inputs --------------------------------------------------------------------------------


def _event(name: str, **props: Any) -> Incoming:
    return Incoming(type="track", name=name, message_id="m", workspace_id="w", site_id="s",
                    anonymous_id="a", user_id=None, properties=props, ts=NOW,
                    received_at=NOW, context={})


def _profile(cart_value: float = 40.0, customer: bool = False, pages: int = 3) -> Profile:
    return Profile(
        visitor_id="v", workspace_id="w", purchase_count=1 if customer else 0,
        purchases=[Purchase(value=80, at=NOW - 20 * DAY)] if customer else [],
        visit_starts=[NOW - 20 * DAY, NOW - 300],
        session=Session(id="s", number=2, started_at=NOW - 300, last_event_at=NOW,
                        pages_viewed=pages),
        cart=Cart(items=[CartItem(item_id="SKU1", price=cart_value)], value=cart_value),
        recent=[("page_view", NOW - 200), ("view_item", NOW - 100)])


def inputs() -> list[tuple[str, EvalContext]]:
    """(seed, context) pairs: each seed's own event on both sides of its boundary."""
    view = {"items": [{"item_id": "SKU1", "price": 40}]}
    cases: list[tuple[str, Profile, Incoming]] = [
        ("search", _profile(), _event("search", search_term="boots", result_count=9)),
        ("search", _profile(), _event("search", search_term="boots", result_count=10)),
        ("payment_failure", _profile(), _event("payment_failure", payment_method="card")),
        ("payment_failure", _profile(), _event("payment_failure", reason="declined")),
        ("cart", _profile(501.0), _event("add_to_cart", value=501.0)),
        ("cart", _profile(499.0), _event("add_to_cart", value=499.0)),
        ("coupon_failure", _profile(), _event("coupon_failure", coupon="SUMMER10")),
        ("coupon_failure", _profile(), _event("coupon_failure", reason="expired")),
        ("faq", _profile(), _event("open_faq", title="Returns")),
        ("faq", _profile(), _event("open_faq", title="About us")),
        ("loyal", _profile(customer=True, pages=5), _event("view_item", **view)),
        ("loyal", _profile(customer=True, pages=4), _event("view_item", **view)),
        ("loyal", _profile(customer=False, pages=9), _event("view_item", **view)),
    ]
    return [(seed, EvalContext(profile=p, now=NOW, event=e, lookups=PRODUCTS))
            for seed, p, e in cases]


def flatten(ctx: EvalContext) -> dict[str, Any]:
    """The data a peer engine reads: everything it cannot compute, computed for it."""
    ev = ctx.event
    assert ev is not None
    props = dict(ev.properties)
    if isinstance(props.get("title"), str):
        props["title_lower"] = props["title"].lower()
    items = props.get("items")
    item_id = items[0]["item_id"] if isinstance(items, list) and items else None
    row = PRODUCTS["products"].get(str(item_id)) if item_id else None
    ctx.memo.clear()
    return {"event": {"name": ev.name, **props},
            "visitor": {"cart_value": ctx.profile.cart.value,
                        "customer": ctx.profile.purchase_count > 0,
                        "engagement_score": engagement_score(ctx)},
            "lookup": {"margin": row["margin"] if row else None}}

# -- measuring -----------------------------------------------------------------------------


def measure(calls: Sequence[tuple[Callable[[Any], bool], Any, dict[str, Any]]],
            seconds: float) -> float:
    """ns per call of ``fn(arg)`` over the list, repeated for about ``seconds``."""
    loops, elapsed = 0, 0.0
    start = time.perf_counter()
    while elapsed < seconds:
        for fn, arg, memo in calls:
            memo.clear()  # every evaluation starts with an empty memo, as in the engine
            fn(arg)
        loops += 1
        elapsed = time.perf_counter() - start
    return elapsed / (loops * len(calls)) * 1e9


def _noop(arg: Any) -> bool:
    return True


def main() -> None:
    """Run the rounds and print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=0.6,
                        help="per implementation and round")
    args = parser.parse_args()

    cases = inputs()
    compiled = {key: compile_condition(tree) for key, tree in SEEDS.items()}
    data = [flatten(c) for _, c in cases]
    impls: dict[str, list[tuple[Callable[[Any], bool], Any, dict[str, Any]]]] = {
        "compiled": [(compiled[s].evaluate, c, c.memo) for s, c in cases],
        "compiled()": [(compiled[s], c, c.memo) for s, c in cases],
        "hand-written": [(HAND[s], c, c.memo) for s, c in cases],
        "json-logic": [(functools.partial(json_logic_matches, JSON_LOGIC[s]), d, c.memo)
                       for (s, c), d in zip(cases, data, strict=True)],
        "rule-engine": [(functools.partial(rule_engine_matches, RULE_ENGINE[s]), d, c.memo)
                        for (s, c), d in zip(cases, data, strict=True)],
    }
    expected = [fn(arg) for fn, arg, _ in impls["hand-written"]]
    for name, calls in impls.items():
        got = []
        for fn, arg, memo in calls:
            memo.clear()
            got.append(fn(arg))
        if got != expected:
            raise SystemExit(f"{name} disagrees with the hand-written conditions: {got}")
    print(f"{len(cases)} inputs, each evaluated by its seed condition ({sum(expected)} true);"
          f" {args.rounds} rounds; Python {sys.version.split()[0]}")

    seeds = list(SEEDS)
    per_seed = args.seconds / len(seeds)
    baseline = [(_noop, c, c.memo) for _, c in cases]
    samples: dict[tuple[str, str], list[float]] = {}
    loop_cost: list[float] = []
    for _ in range(args.rounds):  # interleaved, so drift hits every implementation alike
        loop_cost.append(measure(baseline, per_seed))
        for name, calls in impls.items():
            for seed in seeds:
                mine = [call for call, (s, _) in zip(calls, cases, strict=True) if s == seed]
                samples.setdefault((name, seed), []).append(measure(mine, per_seed))
    empty = statistics.median(loop_cost)
    weight = {seed: sum(s == seed for s, _ in cases) / len(cases) for seed in seeds}
    ns = {key: max(1.0, statistics.median(vals) - empty) for key, vals in samples.items()}
    total = {name: sum(ns[(name, seed)] * weight[seed] for seed in seeds) for name in impls}

    print(f"\nmedian ns per evaluation (empty loop, {empty:.0f} ns, subtracted)")
    print(f"{'seed':<16}" + "".join(f"{name:>14}" for name in impls) + f"{'hand/compiled':>15}")
    for seed in seeds:
        print(f"{seed:<16}" + "".join(f"{ns[(name, seed)]:>14.0f}" for name in impls)
              + f"{ns[('hand-written', seed)] / ns[('compiled', seed)]:>14.2f}x")
    print(f"{'all (weighted)':<16}" + "".join(f"{total[name]:>14.0f}" for name in impls)
          + f"{total['hand-written'] / total['compiled']:>14.2f}x")

    hand_ratio = total["hand-written"] / total["compiled"]
    peer_name = min(("json-logic", "rule-engine"), key=lambda n: total[n])
    peer_ratio = total[peer_name] / total["compiled"]
    print(f"\ncompiled vs hand-written: {hand_ratio:.2f}x the hand-written speed"
          f" (target >= 0.5x) {'ok' if hand_ratio >= 0.5 else 'MISSED'};"
          f" through Compiled.__call__: {total['hand-written'] / total['compiled()']:.2f}x")
    print(f"compiled vs {peer_name} (the faster peer): {peer_ratio:.1f}x faster"
          f" (target >= 10x) {'ok' if peer_ratio >= 10 else 'MISSED'}")

if __name__ == "__main__":
    main()
