"""What each operand reads: event, visitor, session, geo, device, lookups, staffing, time."""

from __future__ import annotations

from typing import Any

import pytest

from floorwalker.profiles.model import PageRef, Purchase
from floorwalker.rules.conditions import compile_condition
from tests.rules.build import DAY, MIN, NOW, cart, ctx, event, holds, leaf, profile, session


def test_event_fields() -> None:
    ev = event("view_item", type="track", context={"page": {
        "url": "https://shop.test/p/1?x=1", "path": "/p/1", "title": "Boots",
        "referrer": "https://google.com/"}},
        items=[{"item_id": "SKU1", "price": 20}, {"item_id": "SKU2"}], value=20)
    c = ctx(ev=ev)
    assert holds(leaf("event.name", "eq", "view_item"), c)
    assert holds(leaf("event.name", "in", ["view_item", "add_to_cart"]), c)
    assert holds(leaf("event.type", "eq", "track"), c)
    assert holds(leaf("event.timestamp", "eq", NOW), c)
    assert holds(leaf("event.value", "eq", 20), c)
    assert holds(leaf("event.properties.value", "gte", 20), c)
    assert holds(leaf("event.item_ids", "contains", "SKU2"), c)
    assert holds(leaf("event.items", "exists"), c)
    assert holds(leaf("event.item_id", "eq", "SKU1"), c)  # first item when no property
    assert holds(leaf("event.page.path", "starts_with", "/p/"), c)
    assert holds(leaf("event.page.title", "eq", "Boots"), c)
    assert holds(leaf("event.page.referrer", "contains", "google"), c)
    assert holds(leaf("event.page.url", "contains", "x=1"), c)
    assert holds(leaf("event.item_id", "eq", "OWN"), ctx(ev=event("x", item_id="OWN", items=[
        {"item_id": "SKU1"}])))


@pytest.mark.parametrize("path", ["event.name", "event.type", "event.timestamp", "event.x",
                                  "event.items", "event.item_ids", "event.item_id",
                                  "event.page.url", "event.properties.a.b"])
def test_no_event_means_every_event_path_is_missing(path: str) -> None:
    assert holds(leaf(path, "missing"), ctx())
    assert not holds(leaf(path, "exists"), ctx())


def test_visitor_fields() -> None:
    p = profile(visit_count=3, event_count=40, first_seen=NOW - 10 * DAY, last_seen=NOW,
                purchase_count=2, lifetime_revenue=250.0, language="fr", locale="fr-FR",
                user_id="u-9", attributes={"plan": "pro", "address": {"city": "Lyon"}},
                cart=cart(("A", 100.0, 2), ("B", 50.0, 1)), segments={"vip": NOW, "fr": NOW},
                purchases=[Purchase(value=100, at=NOW - 3 * DAY), Purchase(at=NOW - 9 * DAY)],
                recent=[("page_view", NOW - 60), ("search", NOW)])
    c = ctx(p)
    for tree in [leaf("visitor.visit_count", "eq", 3), leaf("visitor.event_count", "gt", 39),
                 leaf("visitor.first_seen", "lt", NOW), leaf("visitor.last_seen", "eq", NOW),
                 leaf("visitor.customer", "eq", True),
                 leaf("visitor.customer_type", "eq", "customer"),
                 leaf("visitor.purchase_count", "eq", 2),
                 leaf("visitor.lifetime_revenue", "between", [200, 300]),
                 leaf("visitor.language", "eq", "fr"), leaf("visitor.locale", "eq", "fr-FR"),
                 leaf("visitor.user_id", "eq", "u-9"), leaf("visitor.identified", "eq", True),
                 leaf("visitor.attributes.plan", "eq", "pro"),
                 leaf("visitor.attributes.address.city", "eq", "Lyon"),
                 leaf("visitor.cart.value", "eq", 250), leaf("visitor.cart.item_count", "eq", 3),
                 leaf("visitor.cart.item_ids", "contains", "B"),
                 leaf("visitor.cart.items", "exists"), leaf("visitor.cart.currency", "eq", "EUR"),
                 leaf("visitor.segments", "contains", "vip"),
                 leaf("visitor.segments", "in", ["x", "fr"]),
                 leaf("visitor.recent_event_names", "contains", "search"),
                 leaf("visitor.days_since_first_seen", "eq", 10),
                 leaf("visitor.days_since_last_purchase", "eq", 3)]:
        assert holds(tree, c), tree


def test_a_new_visitor() -> None:
    c = ctx(profile())
    assert holds(leaf("visitor.customer", "eq", False), c)
    assert holds(leaf("visitor.customer_type", "eq", "prospect"), c)
    assert holds(leaf("visitor.identified", "eq", False), c)
    assert holds(leaf("visitor.user_id", "missing"), c)
    assert holds(leaf("visitor.days_since_last_purchase", "missing"), c)
    assert not holds(leaf("visitor.days_since_last_purchase", "gt", 30), c)
    assert holds(leaf("visitor.days_since_first_seen", "missing"), c)
    assert holds(leaf("visitor.cart.item_count", "eq", 0), c)
    assert not holds(leaf("visitor.segments", "contains", "vip"), c)
    assert holds(leaf("session.pages_viewed", "missing"), c)  # no visit yet
    assert holds(leaf("geo.country", "missing"), c)


def test_session_fields_and_sources() -> None:
    s = session(started=NOW - 10 * MIN, last=NOW - 30, number=4, pages_viewed=6, events=9,
                landing_page=PageRef(url="https://s.test/?gclid=1", path="/"),
                current_page=PageRef(path="/checkout", title="Checkout"),
                source={"medium": "paid", "source": "google", "campaign": "summer",
                        "click_id": "gclid", "term": "boots"})
    p = profile(session=s, first_source={"medium": "organic", "source": "bing"})
    c = ctx(p, event("page_view", at=NOW - 30))
    for tree in [leaf("session.pages_viewed", "eq", 6), leaf("session.events", "eq", 9),
                 leaf("session.number", "eq", 4), leaf("session.started_at", "eq", NOW - 600),
                 leaf("session.time_on_site", "eq", 570), leaf("session.idle_seconds", "eq", 30),
                 leaf("session.landing_page.url", "contains", "gclid"),
                 leaf("session.current_page.path", "eq", "/checkout"),
                 leaf("session.current_page.title", "eq", "Checkout"),
                 leaf("session.source.medium", "eq", "paid"),
                 leaf("session.source.click_id", "eq", "gclid"),
                 leaf("session.utm.campaign", "eq", "summer"),
                 leaf("session.utm.source", "eq", "google"), leaf("utm.term", "eq", "boots"),
                 leaf("source.medium", "eq", "paid"),
                 leaf("visitor.first_source.medium", "eq", "organic"),
                 leaf("session.source.referrer_host", "missing")]:
        assert holds(tree, c), tree


def test_time_on_site_counts_up_to_now_on_a_timer() -> None:
    p = profile(session=session(started=NOW - 100, last=NOW - 90))
    tree = leaf("session.time_on_site", "gte", 120)
    assert compile_condition(tree).uses_time
    assert not holds(tree, ctx(p, event("page_ping", at=NOW - 90), now=NOW + 20))
    assert not holds(tree, ctx(p, now=NOW + 19))  # timer: 119 s since the visit started
    assert holds(tree, ctx(p, now=NOW + 20))
    assert holds(leaf("session.idle_seconds", "gte", 110), ctx(p, now=NOW + 20))


def test_geo_and_device() -> None:
    p = profile(geo={"country": "NL", "city": "Utrecht", "latitude": 52.09,
                     "time_zone": "Europe/Amsterdam"},
                device={"device_type": "mobile", "browser": "Safari", "is_bot": False})
    c = ctx(p)
    assert holds(leaf("geo.country", "in", ["NL", "BE"]), c)
    assert holds(leaf("geo.city", "eq", "utrecht", case_insensitive=True), c)
    assert holds(leaf("geo.latitude", "between", [50, 54]), c)
    assert holds(leaf("geo.region", "missing"), c)
    assert holds(leaf("device.device_type", "eq", "mobile"), c)
    assert holds(leaf("device.is_bot", "eq", False), c)
    assert holds(leaf("device.os", "missing"), c)


@pytest.mark.parametrize(("geo_zone", "event_zone", "hour", "weekday"), [
    (None, None, 15, "sun"),                         # UTC
    ("Asia/Tokyo", None, 0, "mon"),                  # UTC+9: past midnight
    ("America/Los_Angeles", "Asia/Tokyo", 8, "sun"),  # geo first
    (None, "America/New_York", 11, "sun"),           # then the browser's zone
    ("Not/AZone", None, 15, "sun"),                  # a bad name: UTC
    ("../../etc/passwd", None, 15, "sun"),
])
def test_local_time(geo_zone: str | None, event_zone: str | None, hour: int,
                    weekday: str) -> None:
    p = profile(geo={"time_zone": geo_zone} if geo_zone else None)
    ev = event("page_view", context={"timezone": event_zone} if event_zone else {})
    c = ctx(p, ev)
    assert holds(leaf("context.local_hour", "eq", hour), c)
    assert holds(leaf("context.weekday", "eq", weekday), c)
    assert holds(leaf("context.now", "eq", NOW), c)
    office = {"all": [leaf("context.local_hour", "between", [9, 17]),
                      leaf("context.weekday", "in", ["mon", "tue", "wed", "thu", "fri"])]}
    assert compile_condition(office).uses_time
    assert holds(office, c) is (9 <= hour <= 17 and weekday not in ("sat", "sun"))


class Staff:
    """Two sales agents online, one free; support closed; sales open from NOW on."""

    def agents_online(self, department: str) -> int:
        return {"sales": 2}.get(department, 0)

    def agents_free(self, department: str) -> int:
        return {"sales": 1}.get(department, 0)

    def free_slots(self, department: str) -> int:
        return {"sales": 3}.get(department, 0)

    def in_business_hours(self, department: str, now: float) -> bool:
        return department == "sales" and now >= NOW


class BrokenStaff(Staff):
    def agents_free(self, department: str) -> int:
        raise RuntimeError("staffing is down")


def test_staffing() -> None:
    c = ctx(staffing=Staff())
    assert holds(leaf("context.agents_online.sales", "eq", 2), c)
    assert holds(leaf("context.agents_free.sales", "gt", 0), c)
    assert holds(leaf("context.free_slots.sales", "eq", 3), c)
    assert not holds(leaf("context.agents_free.support", "gt", 0), c)
    assert holds(leaf("context.business_hours.sales", "eq", True), c)
    assert not holds(leaf("context.business_hours.sales", "eq", True),
                     ctx(staffing=Staff(), now=NOW - 1))
    assert compile_condition(leaf("context.business_hours.sales", "eq", True)).uses_time
    assert not compile_condition(leaf("context.agents_free.sales", "gt", 0)).uses_time
    assert not holds(leaf("context.agents_free.sales", "gt", 0), ctx(staffing=BrokenStaff()))
    assert holds(leaf("context.agents_free.sales", "lte", 0), ctx())  # nobody by default


LOOKUPS: dict[str, dict[str, dict[str, Any]]] = {
    "products": {"SKU1": {"margin": 0.42, "tier": {"name": "gold"}}, "7": {"margin": 0.1}},
    "coupons": {"gold": {"percent": 15}},
}


def test_lookups() -> None:
    margin = leaf("lookup.products[event.item_id].margin", "gt", 0.3)
    compiled = compile_condition(margin)
    assert compiled.tables == frozenset({"products"})
    assert not compiled.uses_time
    assert compiled(ctx(ev=event("view_item", item_id="SKU1"), lookups=LOOKUPS))
    assert not compiled(ctx(ev=event("view_item", item_id="SKU9"), lookups=LOOKUPS))
    assert not compiled(ctx(ev=event("view_item"), lookups=LOOKUPS))
    assert not compiled(ctx(ev=event("view_item", item_id="SKU1")))  # table not loaded
    assert not compiled(ctx(lookups=LOOKUPS))
    numeric = leaf("lookup.products[event.item_id].margin", "eq", 0.1)
    assert holds(numeric, ctx(ev=event("v", item_id=7), lookups=LOOKUPS))
    assert holds(numeric, ctx(ev=event("v", item_id=7.0), lookups=LOOKUPS))
    assert not holds(numeric, ctx(ev=event("v", item_id=True), lookups=LOOKUPS))
    assert holds(leaf("lookup.products[event.item_id].tier.name", "eq", "gold"),
                 ctx(ev=event("v", item_id="SKU1"), lookups=LOOKUPS))
    assert holds(leaf("lookup.products[event.item_id].missing_col", "missing"),
                 ctx(ev=event("v", item_id="SKU1"), lookups=LOOKUPS))


def test_nested_lookup_collects_every_table() -> None:
    tree = leaf("lookup.coupons[lookup.products[event.item_id].tier.name].percent", "eq", 15)
    compiled = compile_condition(tree)
    assert compiled.tables == frozenset({"products", "coupons"})
    assert compiled(ctx(ev=event("v", item_id="SKU1"), lookups=LOOKUPS))


@pytest.mark.parametrize(("path", "words"), [
    ("lookup.products", "not a lookup"),
    ("lookup.Products[event.x].m", "not a lookup"),
    ("lookup.products[event.x", "no closing"),
    ("lookup.products[event.x]", "no field"),
    ("lookup.products[event.x].", "no field"),
    ("lookup.products[visitor.nope].m", "in the key of 'products': unknown attribute"),
    ("lookup.a[lookup.a[lookup.a[lookup.a[lookup.a[event.x].k].k].k].k].k", "nest at most"),
])
def test_bad_lookups(path: str, words: str) -> None:
    from floorwalker.rules.conditions import validate
    (problem,) = validate(leaf(path, "exists"))
    assert problem.path == "$.path"
    assert words in problem.problem


def test_engagement_score() -> None:
    # 4 pages (20) + 5 min on site (10) + 2 visits in 30 days (10) + 1 purchase (10) = 50
    p = profile(session=session(started=NOW - 5 * MIN, last=NOW, pages_viewed=4),
                visit_starts=[NOW - 40 * DAY, NOW - 5 * DAY, NOW - 5 * MIN], purchase_count=1)
    c = ctx(p, event("view_item"))
    assert holds(leaf("visitor.engagement_score", "eq", 50), c)
    assert not holds(leaf("visitor.engagement_score", "gt", 50), c)
    assert compile_condition(leaf("visitor.engagement_score", "gt", 50)).uses_time
    loyal = profile(session=session(pages_viewed=40, started=NOW - 3600),
                    visit_starts=[NOW - i * DAY for i in range(10)], purchase_count=9)
    assert holds(leaf("visitor.engagement_score", "eq", 100), ctx(loyal, event("x")))
    assert holds(leaf("visitor.engagement_score", "eq", 0), ctx(profile()))
