"""Scenario message templates: personalisation, filters, and hostile templates."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from floorwalker.texts.templates import (
    MAX_OUTPUT_CHARS,
    TemplateError,
    TemplateRenderer,
    coupon_tier,
    validate_template,
)

GREETING = ('Hi {{ visitor.first_name | default("there") }}, '
            "need help finding {{ event.search_term }}?")


@pytest.fixture
def renderer() -> TemplateRenderer:
    return TemplateRenderer()


def render_within(
    renderer: TemplateRenderer, source: str, variables: Mapping[str, Any], seconds: float = 10.0
) -> str | BaseException:
    """Render on a daemon thread so a template that hangs fails the test instead of the run."""
    outcome: list[str | BaseException] = []

    def work() -> None:
        try:
            outcome.append(renderer.render(source, variables))
        except BaseException as exc:
            outcome.append(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"rendering {source[:60]!r} did not finish in {seconds}s"
    return outcome[0]


# --- personalisation ---------------------------------------------------------------


def test_greets_visitor_by_first_name(renderer: TemplateRenderer) -> None:
    text = renderer.render(GREETING, {"visitor": {"first_name": "Ann"},
                                      "event": {"search_term": "hiking boots"}})
    assert text == "Hi Ann, need help finding hiking boots?"


@pytest.mark.parametrize("variables", [
    {"visitor": {"first_name": None}, "event": {"search_term": "boots"}},
    {"visitor": {}, "event": {"search_term": "boots"}},
    {"event": {"search_term": "boots"}},  # no visitor at all
])
def test_missing_first_name_falls_back_to_default(
    renderer: TemplateRenderer, variables: Mapping[str, Any]
) -> None:
    greeting = GREETING.replace('default("there")', 'default("there", true)')
    assert renderer.render(greeting, variables) == "Hi there, need help finding boots?"


def test_missing_variable_renders_empty(renderer: TemplateRenderer) -> None:
    assert renderer.render("[{{ visitor.customer.tier.name }}]", {}) == "[]"


def test_event_properties_and_name(renderer: TemplateRenderer) -> None:
    text = renderer.render("{{ event.name }}: {{ event.item_id | upper }}",
                           {"event": {"name": "Product Viewed", "item_id": "sku-9"}})
    assert text == "Product Viewed: SKU-9"


def test_output_is_plain_text_not_escaped(renderer: TemplateRenderer) -> None:
    assert renderer.render("{{ t }}", {"t": "Tom & <Jerry>"}) == "Tom & <Jerry>"


def test_loops_and_conditions_work(renderer: TemplateRenderer) -> None:
    source = ("{% if visitor.cart['items'] %}You left "
              "{{ visitor.cart['items'] | join(', ', attribute='name') }} in your cart"
              "{% endif %}")
    variables = {"visitor": {"cart": {"items": [{"name": "tent"}, {"name": "stove"}]}}}
    assert renderer.render(source, variables) == "You left tent, stove in your cart"


def test_string_methods_on_present_values(renderer: TemplateRenderer) -> None:
    assert renderer.render("{{ visitor.city.upper() }}", {"visitor": {"city": "Lyon"}}) == "LYON"


# --- money and coupons ---------------------------------------------------------------


@pytest.mark.parametrize(("source", "expected"), [
    ('{{ cart.value | money("EUR") }}', "612.00 EUR"),
    ("{{ cart.value | money }}", "612.00"),
    ('{{ 19.999 | money("USD") }}', "20.00 USD"),
    ('{{ 0.125 | money("EUR") }}', "0.13 EUR"),
    ('{{ "42.5" | money("GBP") }}', "42.50 GBP"),
    ('{{ cart.missing | money("EUR") }}', ""),
])
def test_money_filter(renderer: TemplateRenderer, source: str, expected: str) -> None:
    assert renderer.render(source, {"cart": {"value": 612}}) == expected


def test_money_of_text_is_an_error(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError, match="money expects a number"):
        renderer.render("{{ 'lots' | money }}", {})


@pytest.mark.parametrize(("margin", "percent"), [
    (0.9, 20), (0.5, 20), (0.4999, 10), (0.3, 10), (0.2999, 5), (0.0, 5), (-0.01, 0),
    (None, 0), ("0.5", 20), ("n/a", 0), (float("nan"), 0),
])
def test_coupon_tier_boundaries(margin: Any, percent: int) -> None:
    assert coupon_tier(margin) == percent


def test_coupon_tier_custom_tiers() -> None:
    assert coupon_tier(0.25, tiers=((0.2, 15), (0.0, 0))) == 15


def test_coupon_percent_in_template_from_lookup(renderer: TemplateRenderer) -> None:
    source = ("{% set pct = coupon_percent(lookup.products[event.item_id].margin) %}"
              "Take {{ pct }}% off today!")
    variables = {"lookup": {"products": {"sku-1": {"margin": 0.55}}},
                 "event": {"item_id": "sku-1"}}
    text = renderer.render(source, variables)
    assert text == "Take 20% off today!"
    assert "0.55" not in text


def test_coupon_percent_without_lookup_is_zero(renderer: TemplateRenderer) -> None:
    assert renderer.render("{{ coupon_percent(lookup.products.x.margin) }}", {}) == "0"


# --- validation --------------------------------------------------------------------


def test_valid_template_has_no_problems() -> None:
    assert validate_template(GREETING) == []


@pytest.mark.parametrize(("source", "problem"), [
    ('{% include "secrets.txt" %}', "{% include %} is not allowed"),
    ('{% extends "base.html" %}', "{% extends %} is not allowed"),
    ('{% import "m.j2" as m %}', "{% import %} is not allowed"),
    ('{% from "m.j2" import x %}', "{% from ... import %} is not allowed"),
    ("{% macro m() %}x{% endmacro %}", "{% macro %} is not allowed"),
    ("{% call range(3) %}x{% endcall %}", "{% call %} is not allowed"),
    ("{% set x %}text{% endset %}", "block {% set %}"),
    ("{% filter upper %}text{% endfilter %}", "{% filter %} blocks are not allowed"),
    ("{% for x in y recursive %}{{ loop(x) }}{% endfor %}", "recursive loops"),
    ("{{ 2 ** 8 }}", "the power operator ** is not allowed"),
    ("{{ name | shout }}", "No filter named 'shout'"),
])
def test_forbidden_constructs_are_reported(source: str, problem: str) -> None:
    problems = validate_template(source)
    assert len(problems) == 1
    assert problems[0].startswith("line 1: ")
    assert problem in problems[0]


def test_syntax_error_has_line_number() -> None:
    assert validate_template("Hello\nthere {{ visitor.name }") == ["line 2: unexpected '}'"]


def test_too_long_template() -> None:
    assert validate_template("x" * 4_001) == [
        "template is 4001 characters long; the limit is 4000"]
    assert validate_template("x" * 4_000) == []


def test_too_many_nodes() -> None:
    (problem,) = validate_template("{{ a }}" * 550)
    assert "template is too complex" in problem


def test_deep_nesting_is_reported_not_crashing() -> None:
    assert validate_template("{{ " + "(" * 1_900 + "1" + ")" * 1_900 + " }}") == [
        "template is nested too deeply"]


def test_render_refuses_invalid_template(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError) as caught:
        renderer.render('Hi\n{% include "x" %}', {})
    assert caught.value.problem == "{% include %} is not allowed"
    assert caught.value.line == 2


# --- hostile templates at render time -------------------------------------------------


@pytest.mark.parametrize("source", [
    "{{ 9**9**9 }}",
    '{{ "x" * 100000000 }}',
    "{{ [0] * 100000000 }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% for i in range(1000000000) %}x{% endfor %}",
    "{% for i in range(900) %}{% for j in range(900) %}x{% endfor %}{% endfor %}",
    '{% set a = "xxxxxxxxxx" %}' + "{% set a = a ~ a %}" * 40 + "{{ a }}",
    '{% set a = "xxxxxxxxxx" %}' + "{% set a = a + a %}" * 40 + "{{ a }}",
    "{% set n = 99999999999 %}" + "{% set n = n * n %}" * 40 + "{{ n }}",
    '{{ "a" | replace("", "bbbbbbbbbb") | replace("b", "cccccccccc")'
    ' | replace("c", "dddddddddd") | replace("d", "eeeeeeeeee") }}',
    '{{ "%999999999s" % 1 }}',
    '{{ "{:>999999999}".format(1) }}',
    '{{ "x".ljust(999999999) }}',
    "{{ 5 | round(-1000000000) }}",
    '{{ "".__class__ }}',
    '{{ "".__class__.__mro__[1].__subclasses__() }}',
    "{{ visitor.__class__.mro() }}",
    "{{ lipsum(100000) }}",
    "{{ 1 / 0 }}",
    "{{ visitor.cart.value + 'x' }}",
    "{{ lookup }}",
])
def test_hostile_template_raises_only_template_error(
    renderer: TemplateRenderer, source: str
) -> None:
    outcome = render_within(renderer, source, {"visitor": {"cart": {"value": 3}}, "lookup": {}})
    assert isinstance(outcome, TemplateError), outcome


@pytest.mark.parametrize("source", [
    "{{ name.__class__ }}",
    "{{ kind.mro() }}",
    "{{ kind.__subclasses__() }}",
    "{{ coupon_percent.__globals__ }}",
    "{{ range.__code__ }}",
])
def test_private_attributes_are_a_security_error(renderer: TemplateRenderer, source: str) -> None:
    with pytest.raises(TemplateError, match="is unsafe") as caught:
        renderer.render(source, {"name": "Ann", "kind": str})
    assert caught.value.line == 1


def test_runtime_error_points_at_its_line(renderer: TemplateRenderer) -> None:
    with pytest.raises(TemplateError) as caught:
        renderer.render("Hello\n{{ 1 / 0 }}", {})
    assert caught.value.line == 2
    assert "ZeroDivisionError" in caught.value.problem


def test_output_is_cut_to_the_limit(renderer: TemplateRenderer) -> None:
    text = renderer.render('{% for i in range(1000) %}{{ "y" * 5000 }}{% endfor %}', {})
    assert len(text) == MAX_OUTPUT_CHARS
    assert text.endswith("\u2026")


def test_loop_within_bounds_renders(renderer: TemplateRenderer) -> None:
    assert renderer.render("{% for i in range(999) %}.{% endfor %}", {}) == "." * 999


# --- render_safe and caching ----------------------------------------------------------


def test_render_safe_returns_fallback_on_error(renderer: TemplateRenderer) -> None:
    assert renderer.render_safe("{{ 1 / 0 }}", {}, fallback="Need a hand?") == "Need a hand?"
    assert renderer.render_safe('{% include "x" %}', {}) == ""


def test_render_safe_renders_when_fine(renderer: TemplateRenderer) -> None:
    assert renderer.render_safe(GREETING, {"event": {"search_term": "tents"}},
                                fallback="x") == "Hi there, need help finding tents?"


def test_small_cache_still_renders_every_source() -> None:
    renderer = TemplateRenderer(cache_size=2)
    for round_ in range(2):
        for n in range(5):
            assert renderer.render(f"{n}:{{{{ r }}}}", {"r": round_}) == f"{n}:{round_}"


_TOKENS = st.sampled_from([
    "{{", "}}", "{%", "%}", "for", "in", "if", "endfor", "endif", "set", "=", "~", "*", "+",
    "(", ")", "[", "]", ".", "|", "x", "visitor", "range", "9", "0", " ", '"', "money",
    "default", "__class__", ",", "-", "/", "%",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(_TOKENS, max_size=30).map("".join))
def test_arbitrary_text_never_raises_anything_else(source: str) -> None:
    renderer = TemplateRenderer()
    try:
        text = renderer.render(source, {"visitor": {"first_name": "Ann"}, "x": [1, 2]})
    except TemplateError:
        return
    assert len(text) <= MAX_OUTPUT_CHARS


@pytest.mark.parametrize("source", [
    "{{ 'abc'.translate }}", "{{ visitor.city.upper }}", "{{ visitor.attributes.items }}",
    "{{ range(3) }}", "{{ coupon_percent }}", "{% set ns = namespace(a=1) %}{{ ns }}",
    "{% for i in [1] %}{{ loop }}{% endfor %}"])
def test_only_plain_values_print_never_a_repr(renderer: TemplateRenderer, source: str) -> None:
    variables = {"visitor": {"city": "Lyon", "attributes": {"plan": "pro"}}}
    text = renderer.render("[" + source + "]", variables)
    assert text == "[]"  # not "<built-in method translate of str object at 0x...>"
    # A preview or a save-time check tells the author instead.
    with pytest.raises(TemplateError, match="only text, numbers and lists of them"):
        renderer.render(source, variables, strict=True)


def test_plain_values_print_in_strict_rendering_too(renderer: TemplateRenderer) -> None:
    source = "{{ n }} {{ f }} {{ ok }} {{ items }} {{ missing }}{{ name.upper() }}"
    variables = {"n": 3, "f": 1.5, "ok": True, "items": ["a", 2], "name": "ann"}
    assert renderer.render(source, variables, strict=True) == "3 1.5 True ['a', 2] ANN"


@pytest.mark.parametrize(("language", "expected"), [
    ("nl", "€\xa0420,00 · 1.234,50"),
    ("fr", "420,00\xa0€ · 1\u202f234,50"),
    ("de", "420,00\xa0€ · 1.234,50"),
    ("en", "€420.00 · 1,234.50"),
    ("ru", "420,00\xa0€ · 1\xa0234,50"),
    (None, "420.00 EUR · 1234.50"),  # no language known (a preview of the source)
    ("xx", "420.00 EUR · 1234.50"),  # one CLDR does not know
])
def test_money_is_formatted_for_the_texts_language(renderer: TemplateRenderer,
                                                   language: str | None,
                                                   expected: str) -> None:
    source = '{{ cart.value | money("EUR") }} · {{ 1234.5 | money }}'
    assert renderer.render(source, {"cart": {"value": 420}}, language=language) == expected
