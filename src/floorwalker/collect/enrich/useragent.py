"""User-agent parsing: browser, operating system, device class and bot detection."""

from __future__ import annotations

import functools
import re

import msgspec
from ua_parser import parse

__all__ = ["Device", "parse_user_agent"]

_MAX_UA_LENGTH = 512
_CACHE_SIZE = 16_384

# Robots, HTTP libraries, headless browsers, monitoring and link-preview fetchers. "bot" must
# end a word (Googlebot/2.1, AdsBot-Google, bot.html) and must not be the phone brand Cubot.
_BOT_RE = re.compile(
    r"(?<!cu)bot\b|crawl|spider|slurp|scraper|scrapy|archiver|headlesschrome|phantomjs"
    r"|puppeteer|playwright|selenium|webdriver|lighthouse|pingdom|uptime|statuscake"
    r"|site24x7|gtmetrix|prerender|bingpreview|facebookexternalhit|facebookcatalog"
    r"|whatsapp|embedly|google-inspectiontool|googleother|mediapartners-google"
    r"|apis-google|feedfetcher|check_http|nagios|zabbix|validator|ia_archiver"
    r"|\bcurl/|\bwget\b|python-requests|python-httpx|python-urllib|aiohttp"
    r"|go-http-client|\bjava/|okhttp|apache-httpclient|libwww-perl|node-fetch|axios/"
    r"|^mozilla/5\.0$"
)

_TV_RE = re.compile(
    r"smart-?tv|googletv|apple ?tv|appletv|hbbtv|crkey|roku|bravia|netcast|web0s|webos.tv"
    r"|tizen.+tv|android tv|aft[a-z]\b|playstation|xbox|nintendo"
)
_TABLET_RE = re.compile(r"ipad|tablet|kindle|silk/|playbook|\bkf[a-z]{2,5}\b|nexus (?:7|9|10)\b")
_MOBILE_RE = re.compile(
    r"mobi|iphone|ipod|windows phone|blackberry|\bbb10\b|opera mini|kaios|symbian|palm"
)
_DESKTOP_RE = re.compile(r"windows nt|macintosh|mac os x|x11|\bcros\b|linux x86_64|freebsd")

_DESKTOP_OS = frozenset(
    {
        "Windows",
        "Mac OS X",
        "Linux",
        "Ubuntu",
        "Fedora",
        "Debian",
        "Chrome OS",
        "FreeBSD",
        "OpenBSD",
        "NetBSD",
        "Solaris",
    }
)
_MOBILE_OS = frozenset({"iOS", "Windows Phone", "BlackBerry OS", "KaiOS", "Symbian OS"})
# ua-parser's placeholder brands that tell a class, not a manufacturer.
_GENERIC_BRANDS = frozenset(
    {"Generic", "Generic_Android", "Generic_Android_Tablet", "Generic_Inettv", "Spider"}
)
_PLACEHOLDER_MODELS = frozenset({"Smartphone", "Tablet", "Feature Phone", "Desktop"})


class Device(msgspec.Struct, frozen=True, kw_only=True):
    """What a user agent says about the visitor's software and hardware."""

    browser: str | None = None
    browser_version: str | None = None
    os: str | None = None
    os_version: str | None = None
    device_type: str = "other"
    """One of "desktop", "mobile", "tablet", "bot", "other"."""
    device_brand: str | None = None
    device_model: str | None = None
    is_bot: bool = False


_EMPTY = Device()


def _version(*parts: str | None) -> str | None:
    """Join leading non-empty version parts with dots: ("17", "4", None) -> "17.4"."""
    kept: list[str] = []
    for part in parts:
        if not part:
            break
        kept.append(part)
    return ".".join(kept) or None


def _known(value: str | None) -> str | None:
    return None if not value or value == "Other" else value


def _device_type(
    lowered: str, os_family: str | None, device_family: str | None, brand: str | None
) -> str:
    """Classify the hardware; order matters: an iPad UA also says "Mobile"."""
    if _TV_RE.search(lowered):
        return "other"
    if (
        device_family in ("iPad", "Kindle")
        or brand == "Generic_Android_Tablet"
        or _TABLET_RE.search(lowered)
    ):
        return "tablet"
    if os_family == "Android" or "android" in lowered:
        # Android phones announce "Mobile"; Android tablets leave it out.
        return "mobile" if "mobi" in lowered else "tablet"
    if os_family in _MOBILE_OS or _MOBILE_RE.search(lowered):
        return "mobile"
    if os_family in _DESKTOP_OS or _DESKTOP_RE.search(lowered):
        return "desktop"
    return "other"


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse(ua: str) -> Device:
    result = parse(ua)
    agent, os_info, hardware = result.user_agent, result.os, result.device
    lowered = ua.lower()
    device_family = _known(hardware.family) if hardware else None
    raw_brand = hardware.brand if hardware else None
    is_bot = device_family == "Spider" or bool(_BOT_RE.search(lowered))
    os_family = _known(os_info.family) if os_info else None
    device_type = "bot" if is_bot else _device_type(lowered, os_family, device_family, raw_brand)
    brand = None if raw_brand in _GENERIC_BRANDS else _known(raw_brand)
    model = _known(hardware.model) if hardware and not is_bot else None
    if brand is None and model in _PLACEHOLDER_MODELS:
        model = None
    return Device(
        browser=_known(agent.family) if agent else None,
        browser_version=_version(agent.major, agent.minor) if agent else None,
        os=os_family,
        os_version=(_version(os_info.major, os_info.minor, os_info.patch) if os_info else None),
        device_type=device_type,
        device_brand=None if is_bot else brand,
        device_model=model,
        is_bot=is_bot,
    )


def parse_user_agent(ua: str | None) -> Device:
    """Parse a User-Agent header; None or blank gives Device() (type "other", not a bot)."""
    if not ua:
        return _EMPTY
    trimmed = ua[:_MAX_UA_LENGTH].strip()
    if not trimmed:
        return _EMPTY
    return _parse(trimmed)
