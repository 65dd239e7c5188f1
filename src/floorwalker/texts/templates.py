"""Message templates of proactive scenarios: chat invitations and pop-up cards.

A text such as ``Hi {{ visitor.first_name | default("there") }}, need help finding
{{ event.search_term }}?`` is a Jinja template rendered on the server by a sandboxed
environment. Autoescaping is OFF on purpose: the output is plain text that the widget
inserts as text (``textContent``), never as HTML, so escaping here would only show
``&amp;`` to visitors. Whoever puts rendered text into HTML must escape it there.

Variables are passed by the caller (the rules engine). The top-level names are:

``visitor``
    The profile: ``first_name``, ``name``, ``email``, ``city``, ``country``,
    ``language``, ``attributes`` (site-defined), ``cart`` (``value``, ``currency``,
    ``items``), ``customer`` (e.g. ``tier``, ``orders``) ...
``event``
    The triggering event's properties, plus ``name`` (e.g. ``event.search_term``,
    ``event.item_id``).
``session``
    The current session (landing page, source, page count ...).
``lookup``
    Server-side lookup tables, e.g. ``lookup.products[event.item_id].margin``. A
    template may COMPUTE with sensitive values (a coupon size from a margin); only the
    rendered text leaves the server, never the values themselves.
``agent``
    The agent the conversation would go to (``name``).
``site``
    The site (``name``, ``url`` ...).

A missing variable or attribute renders as an empty string and ``| default(...)``
works on missing nested attributes (``ChainableUndefined``).

Available filters: ``default``/``d``, ``upper``, ``lower``, ``title``, ``capitalize``,
``trim``, ``truncate``, ``replace``, ``join``, ``first``, ``last``, ``length``/``count``,
``round``, ``int``, ``float``, ``abs`` and ``money`` (``{{ cart.value | money("EUR") }}``
gives ``612.00 EUR``). Global functions: ``coupon_percent(margin)`` (see
:func:`coupon_tier`), ``range`` (at most 1,000 items) and ``namespace``. Only a few
read-only ``str``/``dict`` methods may be called (``lower``, ``startswith``, ``get`` ...).
Printing a whole mapping (``{{ visitor }}``, ``{{ lookup }}``) is refused, so a typo
cannot dump every field of a profile or lookup table into a visitor-facing text. Only
plain values print (text, numbers, yes/no, nothing, lists of them): anything else, such
as a method named without its ``()`` (``{{ 'abc'.upper }}``), prints as an empty string,
never as a Python repr with a memory address; previews and save-time checks report it.

Limits against hostile templates: the source is at most 4,000 characters and 500 AST
nodes; ``{% include %}``, ``{% import %}``, ``{% extends %}``, ``{% macro %}``,
``{% call %}``, block ``{% set %}``/``{% filter %}``, recursive loops and ``**`` are
rejected; all loops of one rendering together run at most 1,000 iterations; strings
and lists built by a template hold at most 10,000 items; the output is cut to 2,000
characters. Rendering never raises anything but :class:`TemplateError`.
"""

from __future__ import annotations

import itertools
import threading
import types
from collections import OrderedDict
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal, NoReturn, cast

import structlog
from babel.core import UnknownLocaleError
from babel.numbers import format_currency, format_decimal
from jinja2 import ChainableUndefined, Template, TemplateSyntaxError, Undefined, nodes
from jinja2 import filters as jinja_filters
from jinja2.exceptions import SecurityError
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, pass_context, pass_environment
from jinja2.visitor import NodeTransformer

__all__ = [
    "DEFAULT_COUPON_TIERS",
    "MAX_LOOP_ITERATIONS",
    "MAX_NODES",
    "MAX_OUTPUT_CHARS",
    "MAX_SEQUENCE_ITEMS",
    "MAX_SOURCE_CHARS",
    "TemplateError",
    "TemplateRenderer",
    "coupon_tier",
    "validate_template",
]

log = structlog.get_logger("floorwalker.texts.templates")

MAX_SOURCE_CHARS = 4_000
MAX_NODES = 500
MAX_OUTPUT_CHARS = 2_000
MAX_SEQUENCE_ITEMS = 10_000  # any string or list a template builds
MAX_RANGE = 1_000
MAX_LOOP_ITERATIONS = 1_000  # all loops of one rendering together
MAX_INT_BITS = 256  # products of integers; money never needs more
MAX_ROUND_DIGITS = 15
CACHE_SIZE = 512
ELLIPSIS = "\u2026"

#: (minimum margin, discount percent), highest margin first: a margin of 50 % or more
#: earns a 20 % coupon, 30 % or more earns 10 %, any non-negative margin earns 5 %.
DEFAULT_COUPON_TIERS: tuple[tuple[float, int], ...] = ((0.5, 20), (0.3, 10), (0.0, 5))

_FORBIDDEN_NODES: dict[type[nodes.Node], str] = {
    nodes.Include: "{% include %} is not allowed",
    nodes.Import: "{% import %} is not allowed",
    nodes.FromImport: "{% from ... import %} is not allowed",
    nodes.Extends: "{% extends %} is not allowed",
    nodes.Macro: "{% macro %} is not allowed",
    nodes.CallBlock: "{% call %} is not allowed",
    # Block forms capture their whole body in memory before the output limit applies.
    nodes.AssignBlock: "block {% set %}...{% endset %} is not allowed; use {% set x = ... %}",
    nodes.FilterBlock: "{% filter %} blocks are not allowed; use {{ ... | filter }}",
    nodes.Pow: "the power operator ** is not allowed",
}

_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "endswith", "find", "lower", "lstrip",
    "removeprefix", "removesuffix", "rsplit", "rstrip", "split", "startswith", "strip",
    "title", "upper",
})
_MAPPING_METHODS = frozenset({"get", "items", "keys", "values"})
_SEQUENCE_METHODS = frozenset({"count", "index"})
_LOOP_METHODS = frozenset({"changed", "cycle"})

# Iterations left in the rendering under way (a one-item list so filters can count).
_loop_budget: ContextVar[list[int] | None] = ContextVar("floorwalker_loop_budget", default=None)
# True while a preview or a save-time check renders: a value that is not plain is an error.
_strict: ContextVar[bool] = ContextVar("floorwalker_template_strict", default=False)
# The language a text is rendered in (None: not known): ``money`` formats amounts for it.
_language: ContextVar[str | None] = ContextVar("floorwalker_template_language", default=None)


class TemplateError(ValueError):
    """A template that cannot be used or failed to render; ``problem`` says why."""

    def __init__(self, problem: str, line: int | None = None) -> None:
        self.problem = problem
        self.line = line
        super().__init__(_with_line(problem, line))


def _with_line(problem: str, line: int | None) -> str:
    return f"line {line}: {problem}" if line is not None else problem


# --- helpers exposed to templates ---------------------------------------------------


def _as_number(value: Any) -> Decimal | None:
    """The value as a finite Decimal, or None when it is missing or not a number."""
    if value is None or isinstance(value, (Undefined, bool)):
        return None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, (int, float, str)):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation:
            return None
    else:
        return None
    return number if number.is_finite() else None


def coupon_tier(margin: Any, tiers: Sequence[tuple[float, int]] = DEFAULT_COUPON_TIERS) -> int:
    """Discount percent for a product ``margin`` (a fraction: 0.42 is 42 %).

    ``tiers`` are ``(minimum margin, percent)`` pairs, highest margin first; the default
    gives 20 for a margin >= 0.5, 10 for >= 0.3, 5 for >= 0.0. A negative, missing or
    non-numeric margin gives 0 (no coupon). In templates: ``coupon_percent(margin)``.
    """
    number = _as_number(margin)
    if number is None:
        return 0
    for threshold, percent in tiers:
        if number >= Decimal(str(threshold)):
            return percent
    return 0


def coupon_percent(margin: Any) -> int:
    """Discount percent for a margin with the default tiers (the template global)."""
    return coupon_tier(margin)


@pass_context
def money(context: Any, value: Any, currency: str | None = None) -> str:
    """An amount for the text's language: ``€ 612,00`` in Dutch, ``612,00 €`` in French,
    ``€612.00`` in English (Babel's CLDR data); ``612,00`` without a currency. When the
    language is not known (a preview of the source), ``612.00 EUR``. Missing -> empty."""
    del context  # pass_context keeps the optimizer from folding this at compile time
    if value is None or isinstance(value, Undefined):
        return ""
    number = _as_number(value)
    if number is None:
        raise TypeError(f"money expects a number, got {type(value).__name__}")
    if abs(number) >= Decimal("1e15"):
        raise ValueError("money amount is too large")
    amount = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    code = "" if currency is None or isinstance(currency, Undefined) else str(currency).strip()
    language = _language.get()
    if language is not None:
        try:
            if code:
                return format_currency(amount, code[:8].upper(), locale=language)
            return format_decimal(amount, format="#,##0.00", locale=language)
        except (UnknownLocaleError, ValueError):
            pass  # a language CLDR does not know: the neutral form
    text = f"{amount:.2f}"
    return f"{text} {code}" if code else text


def _bounded_range(*args: int) -> range:
    """``range`` capped at MAX_RANGE items."""
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SecurityError(f"range() is limited to {MAX_RANGE} items")
    return result


def _check_size(value: Any, what: str) -> Any:
    if isinstance(value, (str, list, tuple)) and len(value) > MAX_SEQUENCE_ITEMS:
        raise SecurityError(f"{what} would hold more than {MAX_SEQUENCE_ITEMS} items")
    return value


def _replace(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    """``replace`` that refuses to build a string over the size limit."""
    text, old_s, new_s = str(value), str(old), str(new)
    hits = len(text) + 1 if old_s == "" else text.count(old_s)
    if count is not None and count >= 0:
        hits = min(hits, count)
    if len(text) + hits * (len(new_s) - len(old_s)) > MAX_SEQUENCE_ITEMS:
        raise SecurityError(f"replace would build more than {MAX_SEQUENCE_ITEMS} characters")
    return text.replace(old_s, new_s, -1 if count is None else count)


@pass_environment
def _join(
    environment: ImmutableSandboxedEnvironment,
    value: Iterable[Any],
    d: str = "",
    attribute: str | None = None,
) -> str:
    """``join`` that refuses to build a string over the size limit."""
    if isinstance(value, Undefined):
        return ""
    parts: list[str] = []
    size = 0
    for item in value:
        part = str(environment.getattr(item, attribute) if attribute is not None else item)
        size += len(part) + len(d)
        if size > MAX_SEQUENCE_ITEMS + len(d):
            raise SecurityError(f"join would build more than {MAX_SEQUENCE_ITEMS} characters")
        parts.append(part)
    return str(d).join(parts)


def _round(
    value: Any, precision: int = 0, method: Literal["common", "ceil", "floor"] = "common"
) -> float:
    """``round`` with a bounded precision (a huge negative one takes forever on ints)."""
    if not -MAX_ROUND_DIGITS <= int(precision) <= MAX_ROUND_DIGITS:
        raise SecurityError(f"round precision must be within +-{MAX_ROUND_DIGITS}")
    return jinja_filters.do_round(value, int(precision), method)


@pass_context
def _loop_guard(context: Context, value: Any) -> list[Any]:
    """Wraps every ``{% for %}`` iterable: counts iterations against the budget."""
    del context  # pass_context only keeps the optimizer from folding this at compile time
    if isinstance(value, Undefined):
        return []
    if isinstance(value, Mapping):
        value = value.keys()
    items = list(itertools.islice(value, MAX_LOOP_ITERATIONS + 1))
    budget = _loop_budget.get()
    if budget is not None:
        budget[0] -= len(items)
        if budget[0] < 0:
            raise SecurityError(f"loops are limited to {MAX_LOOP_ITERATIONS} iterations")
    elif len(items) > MAX_LOOP_ITERATIONS:
        raise SecurityError(f"loops are limited to {MAX_LOOP_ITERATIONS} iterations")
    return items


def _plain(value: Any) -> bool:
    """Text, a number, yes/no, nothing, or a list of those: what a template may print."""
    if value is None or isinstance(value, (str, int, float, Decimal, Undefined)):
        return True
    return isinstance(value, (list, tuple)) and all(_plain(item) for item in value)


def _describe(value: Any) -> str:
    if isinstance(value, (types.BuiltinMethodType, types.MethodType)):
        return f"the method {value.__name__!r} (call it with ())"
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType)):
        return f"the function {value.__name__!r}"
    return f"a {type(value).__name__!r} object"


@pass_context
def _finalize(context: Context, value: Any) -> Any:
    """What ``{{ ... }}`` prints: plain values only.

    A whole mapping (``{{ lookup }}``) is refused: it would dump every field. Anything else
    that is not plain (a method, a function, a loop or namespace object) prints as an empty
    string, never as a repr with a memory address; in a strict rendering (previews, the
    check when a reply is saved) it is an error the author can fix.
    """
    del context  # pass_context keeps the optimizer from folding this at compile time
    if isinstance(value, Mapping) or (
        isinstance(value, (list, tuple)) and any(isinstance(item, Mapping) for item in value)
    ):
        raise SecurityError("printing a whole mapping is not allowed; print its fields")
    if _plain(value):
        return value
    if _strict.get():
        raise SecurityError("only text, numbers and lists of them can be printed, not "
                            + _describe(value))
    return ""


def _text_guard(value: Any) -> Any:
    """Wraps every ``~`` concatenation."""
    return _check_size(value, "a ~ concatenation")


_GLOBALS: dict[str, Any] = {
    "range": _bounded_range,
    "coupon_percent": coupon_percent,
    "namespace": Namespace,
}
_SAFE_FUNCTIONS: tuple[Any, ...] = (_bounded_range, coupon_percent, Namespace)


# --- environment --------------------------------------------------------------------


class _Environment(ImmutableSandboxedEnvironment):
    """Sandbox with bounded operators, few callables and loud unsafe attribute access."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def call_binop(self, context: Context, operator_: str, left: Any, right: Any) -> Any:
        """Refuse ``**``, string ``%`` formatting and oversized products and sums."""
        if operator_ == "**":
            raise SecurityError("the power operator ** is not allowed")
        if operator_ == "%" and isinstance(left, str):
            raise SecurityError("string formatting with % is not allowed")
        if operator_ == "*":
            _check_product(left, right)
        if (
            operator_ == "+"
            and isinstance(left, (str, list, tuple))
            and isinstance(right, (str, list, tuple))
            and len(left) + len(right) > MAX_SEQUENCE_ITEMS
        ):
            raise SecurityError(f"+ would build more than {MAX_SEQUENCE_ITEMS} items")
        return self.binop_table[operator_](left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Call ``__obj`` if :meth:`is_safe_callable` allows it, naming it plainly if not."""
        if not __self.is_safe_callable(__obj):
            name = getattr(__obj, "__name__", type(__obj).__name__)
            raise SecurityError(f"calling {name!r} is not allowed in templates")
        return __context.call(__obj, *args, **kwargs)

    def is_safe_callable(self, obj: Any) -> bool:
        """Only the template globals, a few read-only methods and loop helpers."""
        if isinstance(obj, Undefined):
            return True  # calling it raises a clear "... is undefined" error
        if any(obj is safe for safe in _SAFE_FUNCTIONS):
            return True
        if isinstance(obj, (types.BuiltinMethodType, types.MethodType)):
            owner, name = getattr(obj, "__self__", None), obj.__name__
            if isinstance(owner, str):
                return name in _STR_METHODS
            if isinstance(owner, Mapping):
                return name in _MAPPING_METHODS
            if isinstance(owner, (list, tuple)):
                return name in _SEQUENCE_METHODS
            if isinstance(owner, LoopContext):
                return name in _LOOP_METHODS
        return False

    def unsafe_undefined(self, obj: Any, attribute: str) -> NoReturn:
        """Fail at once: a template probing ``__class__`` or ``mro`` is an attack."""
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe")


def _check_product(left: Any, right: Any) -> None:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, (str, list, tuple)) and isinstance(times, int):
            if len(seq) * max(times, 0) > MAX_SEQUENCE_ITEMS:
                raise SecurityError(f"* would build more than {MAX_SEQUENCE_ITEMS} items")
            return
    if (
        isinstance(left, int)
        and isinstance(right, int)
        and left.bit_length() + right.bit_length() > MAX_INT_BITS
    ):
        raise SecurityError("* would build a number that is too large")


def _build_environment() -> _Environment:
    env = _Environment(
        autoescape=False, undefined=ChainableUndefined, cache_size=0, finalize=_finalize)
    base = jinja_filters.FILTERS
    filters: dict[str, Callable[..., Any]] = {
        name: base[name]
        for name in ("default", "d", "upper", "lower", "title", "capitalize", "trim",
                     "truncate", "first", "last", "length", "count", "int", "float", "abs")
    }
    filters.update({
        "replace": _replace,
        "join": _join,
        "round": _round,
        "money": money,
        "_fw_loop": _loop_guard,
        "_fw_text": _text_guard,
    })
    env.filters = filters
    env.globals = dict(_GLOBALS)
    return env


class _Guard(NodeTransformer):
    """Routes loop iterables and ``~`` results through the runtime guards."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_fw_loop", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "_fw_text", [], [], None, None, lineno=node.lineno)


# --- validation ---------------------------------------------------------------------


def _parse(env: _Environment, source: str) -> tuple[nodes.Template | None, list[TemplateError]]:
    if len(source) > MAX_SOURCE_CHARS:
        return None, [TemplateError(
            f"template is {len(source)} characters long; the limit is {MAX_SOURCE_CHARS}")]
    try:
        ast = env.parse(source)
    except TemplateSyntaxError as exc:
        return None, [TemplateError(exc.message or "syntax error", exc.lineno)]
    except RecursionError:
        return None, [TemplateError("template is nested too deeply")]
    except Exception as exc:  # the parser should only raise the above; stay contained
        return None, [TemplateError(f"cannot parse template: {exc}")]
    problems: list[TemplateError] = []
    count = 0
    for node in ast.find_all(nodes.Node):
        count += 1
        message = _FORBIDDEN_NODES.get(type(node))
        if message is None and isinstance(node, nodes.For) and node.recursive:
            message = "recursive loops are not allowed"
        if message is not None:
            problems.append(TemplateError(message, node.lineno))
    if count > MAX_NODES:
        problems.append(TemplateError(
            f"template is too complex: {count} elements; the limit is {MAX_NODES}"))
    return ast, problems


def _compile(env: _Environment, ast: nodes.Template) -> Template:
    """Compile a checked AST with the runtime guards; unknown filters fail here."""
    try:
        return env.from_string(_Guard().visit(ast))
    except TemplateSyntaxError as exc:
        raise TemplateError(exc.message or "syntax error", exc.lineno) from None
    except RecursionError:
        raise TemplateError("template is nested too deeply") from None
    except Exception as exc:  # the compiler should only raise the above; stay contained
        raise TemplateError(f"cannot compile template: {exc}") from None


def validate_template(source: str) -> list[str]:
    """Problems that make ``source`` unusable (syntax, unknown filters, forbidden tags,
    size), each starting with "line N: " when it has a line; [] when fine."""
    ast, problems = _parse(_ENV, source)
    if ast is not None and not problems:
        try:
            _compile(_ENV, ast)
        except TemplateError as exc:
            problems.append(exc)
    return [str(problem) for problem in problems]


# --- rendering ----------------------------------------------------------------------


def _template_line(exc: BaseException) -> int | None:
    """The template line an error was raised on (Jinja rewrites tracebacks to show it)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


class TemplateRenderer:
    """Renders scenario templates; compiles each distinct source once (bounded cache)."""

    def __init__(self, cache_size: int = CACHE_SIZE) -> None:
        self._env = _build_environment()
        self._cache: OrderedDict[str, Template] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def _compile(self, source: str) -> Template:
        with self._lock:
            template = self._cache.get(source)
            if template is not None:
                self._cache.move_to_end(source)
                return template
        ast, problems = _parse(self._env, source)
        if problems or ast is None:
            raise problems[0]
        template = _compile(self._env, ast)
        with self._lock:
            self._cache[source] = template
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return template

    def render(self, source: str, variables: Mapping[str, Any], *, strict: bool = False,
               language: str | None = None) -> str:
        """Render ``source`` with ``variables``; raises only :class:`TemplateError`.

        Output longer than MAX_OUTPUT_CHARS is cut and ends with an ellipsis. A printed
        value that is not plain (a method, an object) renders as an empty string, or is
        an error when ``strict`` (previews and save-time checks show it to the author).
        ``language`` is the text's language (amounts are formatted for it).
        """
        template = self._compile(source)
        token = _loop_budget.set([MAX_LOOP_ITERATIONS])
        strict_token = _strict.set(strict)
        language_token = _language.set(language)
        chunks: list[str] = []
        size = 0
        stream = cast(Generator[str, None, None], template.generate(dict(variables)))
        try:
            for chunk in stream:
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    break
        except TemplateSyntaxError as exc:
            raise TemplateError(exc.message or "syntax error", exc.lineno) from None
        except SecurityError as exc:
            raise TemplateError(f"not allowed: {exc}", _template_line(exc)) from None
        except RecursionError:
            raise TemplateError("template recursion is too deep") from None
        except Exception as exc:  # any runtime failure of hostile or broken text
            raise TemplateError(
                f"{type(exc).__name__}: {exc}", _template_line(exc)) from None
        finally:
            stream.close()
            _loop_budget.reset(token)
            _strict.reset(strict_token)
            _language.reset(language_token)
        text = "".join(chunks)
        if len(text) > MAX_OUTPUT_CHARS:
            text = text[: MAX_OUTPUT_CHARS - 1] + ELLIPSIS
        return text

    def render_safe(self, source: str, variables: Mapping[str, Any], fallback: str = "",
                    language: str | None = None) -> str:
        """Like :meth:`render`, but returns ``fallback`` (and logs) when rendering fails."""
        try:
            return self.render(source, variables, language=language)
        except TemplateError as exc:
            log.warning("template_render_failed", problem=exc.problem, line=exc.line)
            return fallback


_ENV = _build_environment()  # validation only; renderers build their own
