"""Page URLs a visitor sends are kept only when they are web addresses (http or https).

The console shows a visitor's page as a link: a ``javascript:`` or ``data:`` "URL" from
a hostile page would run in an agent's session when clicked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

# Where a page URL arrives: Segment's context.page.url, a page call's properties.url and
# GA4's page_location (the last two become context.page.url when it is missing).
PROPERTY_KEYS = ("url", "page_location")


def is_web_url(text: str) -> bool:
    """An absolute http(s) URL with a host."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:  # a malformed IPv6 host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def drop_unsafe_urls(props: dict[str, Any], ctx: dict[str, Any],
                     path: str) -> list[dict[str, Any]]:
    """Remove page URLs that are not http(s) from ``props`` and ``ctx`` (in place: both are
    the call's own copies); one ``unsafe_url`` warning for each."""
    dropped: list[str] = []
    for key in PROPERTY_KEYS:
        value = props.get(key)
        if isinstance(value, str) and not is_web_url(value):
            del props[key]
            dropped.append(f"{path}.properties.{key}")
    page = ctx.get("page")
    if isinstance(page, dict) and isinstance(page.get("url"), str) \
            and not is_web_url(page["url"]):
        # A new dict: the batch's shared context is not changed under other calls.
        ctx["page"] = {k: v for k, v in page.items() if k != "url"}
        dropped.append(f"{path}.context.page.url")
    return [{"code": "unsafe_url", "path": where,
             "message": "dropped: only http and https page URLs are kept"}
            for where in dropped]
