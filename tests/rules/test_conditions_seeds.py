"""The six seed scenarios of the product brief, each right at its boundary."""

from __future__ import annotations

from floorwalker.profiles.model import Profile, Purchase
from floorwalker.rules.conditions import compile_condition
from tests.rules.build import DAY, MIN, NOW, cart, ctx, event, profile, session

SEARCH_FEW_RESULTS = {"all": [
    {"path": "event.name", "op": "eq", "value": "search"},
    {"path": "event.result_count", "op": "lt", "value": 10}]}
PAYMENT_FAILURE = {"all": [
    {"path": "event.name", "op": "eq", "value": "payment_failure"},
    {"path": "event.payment_method", "op": "exists"}]}
BIG_CART = {"path": "visitor.cart.value", "op": "gt", "value": 500}
COUPON_FAILURE = {"all": [
    {"path": "event.name", "op": "eq", "value": "coupon_failure"},
    {"path": "event.coupon", "op": "exists"}]}
IMPORTANT_FAQ = {"all": [
    {"path": "event.name", "op": "eq", "value": "open_faq"},
    {"path": "event.title", "op": "in", "value": ["Delivery times", "Returns", "Warranty"],
     "case_insensitive": True}]}
LOYAL_CUSTOMER_ITEM = {"all": [
    {"path": "event.name", "op": "eq", "value": "view_item"},
    {"path": "visitor.customer", "op": "eq", "value": True},
    {"path": "visitor.engagement_score", "op": "gt", "value": 50},
    {"path": "lookup.products[event.item_id].margin", "op": "gte", "value": 0.2}]}


def test_search_with_few_results() -> None:
    check = compile_condition(SEARCH_FEW_RESULTS)
    assert check(ctx(ev=event("search", search_term="boots", result_count=9)))
    assert not check(ctx(ev=event("search", search_term="boots", result_count=10)))
    assert check(ctx(ev=event("search", result_count="0")))  # a dataLayer string
    assert not check(ctx(ev=event("search")))                 # count not sent
    assert not check(ctx(ev=event("view_item", result_count=0)))


def test_payment_failure_with_method() -> None:
    check = compile_condition(PAYMENT_FAILURE)
    assert check(ctx(ev=event("payment_failure", payment_method="card")))
    assert not check(ctx(ev=event("payment_failure")))
    assert not check(ctx(ev=event("purchase", payment_method="card")))


def test_cart_over_500() -> None:
    check = compile_condition(BIG_CART)
    assert check(ctx(profile(cart=cart(("A", 250.5, 2))), event("add_to_cart")))
    assert not check(ctx(profile(cart=cart(("A", 499.0, 1))), event("add_to_cart")))
    assert not check(ctx(profile(cart=cart(("A", 500.0, 1))), event("add_to_cart")))
    assert check(ctx(profile(cart=cart(("A", 501.0, 1))), event("add_to_cart")))


def test_coupon_failure_with_coupon() -> None:
    check = compile_condition(COUPON_FAILURE)
    assert check(ctx(ev=event("coupon_failure", coupon="SUMMER10")))
    assert not check(ctx(ev=event("coupon_failure", reason="expired")))


def test_faq_on_an_important_question() -> None:
    check = compile_condition(IMPORTANT_FAQ)
    assert check(ctx(ev=event("open_faq", title="Returns")))
    assert check(ctx(ev=event("open_faq", title="returns")))
    assert not check(ctx(ev=event("open_faq", title="Returns policy")))
    assert not check(ctx(ev=event("open_faq")))


def loyal(score_pages: int) -> Profile:
    """A returning customer: 2 visits in 30 days (10), 1 purchase (10), 5 min (10) + pages."""
    return profile(purchase_count=1, purchases=[Purchase(value=80, at=NOW - 20 * DAY)],
                   visit_starts=[NOW - 20 * DAY, NOW - 5 * MIN],
                   session=session(started=NOW - 5 * MIN, pages_viewed=score_pages))


PRODUCTS = {"products": {"SKU1": {"margin": 0.35}, "SKU2": {"margin": 0.19}}}


def test_loyal_customer_viewing_a_high_margin_item() -> None:
    check = compile_condition(LOYAL_CUSTOMER_ITEM)
    assert check.tables == frozenset({"products"})
    view = event("view_item", items=[{"item_id": "SKU1", "price": 40}])
    assert check(ctx(loyal(5), view, lookups=PRODUCTS))                # score 55
    assert not check(ctx(loyal(4), view, lookups=PRODUCTS))            # score 50
    low_margin = event("view_item", items=[{"item_id": "SKU2"}])
    assert not check(ctx(loyal(5), low_margin, lookups=PRODUCTS))
    prospect = profile(visit_starts=[NOW - 20 * DAY, NOW - 5 * MIN],
                       session=session(started=NOW - 5 * MIN, pages_viewed=12))
    assert not check(ctx(prospect, view, lookups=PRODUCTS))
    assert not check(ctx(loyal(5), view))  # the products table is not loaded
