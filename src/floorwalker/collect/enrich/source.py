"""Traffic source classification: medium, source, campaign and keywords of a page view."""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from typing import NamedTuple
from urllib.parse import parse_qsl, urlsplit

import msgspec

__all__ = ["Source", "classify_source"]

_MAX_URL_LENGTH = 2048
_MAX_VALUE_LENGTH = 200
_CACHE_SIZE = 8192
# URLs are up to 2 KiB each: a smaller cache bounds memory under a flood of unique URLs.
_URL_CACHE_SIZE = 4096

# Click ids that only paid clicks carry, with the network that adds them.
_PAID_CLICK_IDS: Mapping[str, str] = {
    "gclid": "google",
    "gbraid": "google",
    "wbraid": "google",
    "dclid": "google",
    "msclkid": "bing",
    "ttclid": "tiktok",
    "li_fat_id": "linkedin",
    "twclid": "twitter",
}
# Facebook and Instagram tag organic shares too, so these mean social, not paid.
_SOCIAL_CLICK_IDS: Mapping[str, str] = {"fbclid": "facebook", "igshid": "instagram"}

_PAID_MEDIA = frozenset(
    {
        "cpc", "ppc", "paid", "paidsearch", "paid_search", "paid-search", "sem", "cpm", "cpv",
        "cpa", "display", "banner", "paid_social", "paidsocial", "paid-social", "retargeting",
    }
)  # fmt: skip
_EMAIL_MEDIA = frozenset({"email", "e-mail", "e_mail", "e mail", "newsletter", "mail"})
_SOCIAL_MEDIA = frozenset(
    {"social", "social-network", "social_network", "social-media", "social_media", "sm"}
)
_ORGANIC_MEDIA = frozenset({"organic", "seo"})

# Second-level labels under a country code that are not a brand: google.co.uk, google.com.br.
_SECOND_LEVELS = frozenset({"co", "com", "net", "org", "ac", "gov", "edu", "or", "ne", "go"})

# Search engines recognised under any top-level domain: brand label -> name, query params.
_SEARCH_BRANDS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "google": ("google", ("q",)),
    "bing": ("bing", ("q",)),
    "yahoo": ("yahoo", ("p", "q")),
    "yandex": ("yandex", ("text",)),
}
# Search engines recognised by registrable domain (or, for Brave, by full host).
_SEARCH_DOMAINS: Mapping[str, tuple[str, tuple[str, ...]]] = {
    "duckduckgo.com": ("duckduckgo", ("q",)),
    "ecosia.org": ("ecosia", ("q",)),
    "qwant.com": ("qwant", ("q",)),
    "baidu.com": ("baidu", ("wd", "word")),
    "naver.com": ("naver", ("query",)),
    "seznam.cz": ("seznam", ("q",)),
    "startpage.com": ("startpage", ("query", "q")),
    "search.brave.com": ("brave", ("q",)),
    "ya.ru": ("yandex", ("text",)),
    "ask.com": ("ask", ("q",)),
    "aol.com": ("aol", ("q",)),
    "sogou.com": ("sogou", ("query",)),
    "daum.net": ("daum", ("q",)),
    "petalsearch.com": ("petal", ("query",)),
}
# Sub-domains of a search brand that are other products, not its results page.
_NOT_SEARCH = frozenset(
    {
        "accounts", "ads", "analytics", "business", "calendar", "cloud", "console", "developers",
        "disk", "docs", "drive", "groups", "market", "music", "myaccount", "passport", "photos",
        "play", "sites", "support",
    }
)  # fmt: skip

_SOCIAL_DOMAINS: Mapping[str, str] = {
    "facebook.com": "facebook", "fb.com": "facebook", "fb.me": "facebook",
    "messenger.com": "facebook", "instagram.com": "instagram", "threads.net": "threads",
    "threads.com": "threads", "t.co": "twitter", "twitter.com": "twitter", "x.com": "twitter",
    "linkedin.com": "linkedin", "lnkd.in": "linkedin", "reddit.com": "reddit",
    "redd.it": "reddit", "pin.it": "pinterest", "youtube.com": "youtube", "youtu.be": "youtube",
    "tiktok.com": "tiktok", "vk.com": "vk", "vk.ru": "vk", "ok.ru": "ok",
    "snapchat.com": "snapchat", "tumblr.com": "tumblr", "quora.com": "quora",
    "whatsapp.com": "whatsapp", "wa.me": "whatsapp", "t.me": "telegram",
    "telegram.org": "telegram", "discord.com": "discord", "discord.gg": "discord",
    "bsky.app": "bluesky", "mastodon.social": "mastodon", "weibo.com": "weibo",
    "xing.com": "xing", "news.ycombinator.com": "hackernews",
}  # fmt: skip
_SOCIAL_BRANDS: Mapping[str, str] = {"pinterest": "pinterest"}

# A sub-domain label that marks a webmail (mail.google.com, outlook.live.com, e.mail.ru).
_MAIL_LABELS = frozenset({"mail", "webmail", "email", "outlook", "correo"})
_WEBMAIL_DOMAINS = frozenset(
    {"mail.ru", "gmx.net", "gmx.de", "gmx.com", "gmx.at", "web.de", "hotmail.com", "outlook.com"}
)

# Android apps appear as android-app://<package>/ referrers.
_APP_REFERRERS: Mapping[str, tuple[str, str]] = {
    "com.google.android.gm": ("email", "gmail"),
    "com.microsoft.office.outlook": ("email", "outlook"),
    "com.yahoo.mobile.client.android.mail": ("email", "yahoo"),
    "ru.mail.mailapp": ("email", "mail.ru"),
    "com.google.android.googlequicksearchbox": ("organic", "google"),
    "com.facebook.katana": ("social", "facebook"),
    "com.facebook.orca": ("social", "facebook"),
    "com.instagram.android": ("social", "instagram"),
    "com.twitter.android": ("social", "twitter"),
    "com.linkedin.android": ("social", "linkedin"),
    "com.reddit.frontpage": ("social", "reddit"),
    "com.pinterest": ("social", "pinterest"),
    "com.zhiliaoapp.musically": ("social", "tiktok"),
    "org.telegram.messenger": ("social", "telegram"),
    "com.whatsapp": ("social", "whatsapp"),
    "com.vkontakte.android": ("social", "vk"),
}

# Spellings of Segment context.campaign keys (and raw utm_* names) -> our key.
_CAMPAIGN_KEYS: Mapping[str, str] = {
    "name": "campaign", "campaign": "campaign", "utm_campaign": "campaign",
    "source": "source", "utm_source": "source", "medium": "medium", "utm_medium": "medium",
    "term": "term", "utm_term": "term", "content": "content", "utm_content": "content",
}  # fmt: skip
_UTM_PARAMS: Mapping[str, str] = {
    "utm_campaign": "campaign", "utm_source": "source", "utm_medium": "medium",
    "utm_term": "term", "utm_content": "content",
}  # fmt: skip

_NO_PARAMS: Mapping[str, str] = {}
# Host names (IDN allowed) and bracket-less IPv6 literals as urlsplit returns them.
_HOST_RE = re.compile(r"^[a-z0-9_\-.:\u00a0-\uffff]+$")
_BARE_HOST_RE = re.compile(r"^[\w\-]+(?:\.[\w\-]+)+(?:[:/?#]|$)")


class Source(msgspec.Struct, frozen=True, kw_only=True):
    """Where a visit came from."""

    medium: str = "direct"
    """One of "direct", "organic", "paid", "social", "email", "referral", "internal"."""
    source: str | None = None
    keywords: str | None = None
    campaign: str | None = None
    term: str | None = None
    content: str | None = None
    click_id: str | None = None
    """Name of the click-id parameter on the landing URL ("gclid", "fbclid", ...)."""
    referrer: str | None = None
    referrer_host: str | None = None
    landing_page: str | None = None


class _Url(NamedTuple):
    scheme: str
    host: str | None
    query: str


class _KnownHost(NamedTuple):
    medium: str
    name: str
    keyword_params: tuple[str, ...] = ()


def _clean(value: object, limit: int = _MAX_VALUE_LENGTH) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value[:limit] if value else None


@functools.lru_cache(maxsize=_URL_CACHE_SIZE)
def _split_url(url: str) -> _Url:
    """Split a URL without raising; a bare "example.com/path" is read as a host."""
    if "://" not in url and not url.startswith("//") and _BARE_HOST_RE.match(url):
        url = "//" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        # Bad brackets or port: no host, but keep the query so UTM tags still count.
        query = url.partition("?")[2].partition("#")[0]
        return _Url("", None, query)
    if host:
        host = host.rstrip(".")
        if not _HOST_RE.match(host):
            host = None
    return _Url(parts.scheme.lower(), host or None, parts.query)


@functools.lru_cache(maxsize=_URL_CACHE_SIZE)
def _query_params(query: str) -> Mapping[str, str]:
    """Query parameters with lower-cased names; the first occurrence wins. Shared: read only."""
    params: dict[str, str] = {}
    if query:
        for key, value in parse_qsl(query, errors="replace"):
            params.setdefault(key.lower(), value)
    return params


def _strip_www(host: str) -> str:
    return host[4:] if host.startswith("www.") else host


def _host_parts(host: str) -> tuple[str, str, tuple[str, ...]]:
    """Split a host into (brand label, registrable domain, sub-domain labels)."""
    labels = host.split(".")
    if len(labels) < 2:
        return host, host, ()
    tail = 2 if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVELS else 1
    brand_at = len(labels) - tail - 1
    return labels[brand_at], ".".join(labels[brand_at:]), tuple(labels[:brand_at])


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _known_host(host: str, scheme: str) -> _KnownHost | None:
    """Recognise a referrer host as a webmail, social network or search engine."""
    if scheme == "android-app":
        app = _APP_REFERRERS.get(host)
        return _KnownHost(*app) if app else None
    brand, registrable, subs = _host_parts(host)
    if registrable in _WEBMAIL_DOMAINS or not _MAIL_LABELS.isdisjoint(subs):
        return _KnownHost("email", _strip_www(host))
    social = _SOCIAL_DOMAINS.get(host) or _SOCIAL_DOMAINS.get(registrable)
    social = social or _SOCIAL_BRANDS.get(brand)
    if social:
        return _KnownHost("social", social)
    engine = _SEARCH_DOMAINS.get(_strip_www(host)) or _SEARCH_DOMAINS.get(registrable)
    if engine is None and registrable != "brave.com":
        engine = _SEARCH_BRANDS.get(brand)
    if engine and _NOT_SEARCH.isdisjoint(subs):
        return _KnownHost("organic", engine[0], engine[1])
    return None


def _campaign_values(
    campaign: Mapping[str, str] | None, page_params: Mapping[str, str]
) -> dict[str, str]:
    """Merge context.campaign with the page's utm_* parameters; explicit keys win."""
    values: dict[str, str] = {}
    if campaign:
        for key, raw in campaign.items():
            name = _CAMPAIGN_KEYS.get(key.lower()) if isinstance(key, str) else None
            value = _clean(raw)
            if name and value and name not in values:
                values[name] = value
    for param, name in _UTM_PARAMS.items():
        if name not in values:
            value = _clean(page_params.get(param))
            if value:
                values[name] = value
    return values


def _keywords(known: _KnownHost | None, ref_params: Mapping[str, str]) -> str | None:
    if known is None or known.medium != "organic":
        return None
    for param in known.keyword_params:
        value = _clean(ref_params.get(param))
        if value:
            return value
    return None


def _ref_params(ref: _Url | None) -> Mapping[str, str]:
    return _query_params(ref.query) if ref else _NO_PARAMS


def _click_id(page_params: Mapping[str, str]) -> str | None:
    for name in _PAID_CLICK_IDS:
        if page_params.get(name):
            return name
    for name in _SOCIAL_CLICK_IDS:
        if page_params.get(name):
            return name
    return None


def classify_source(
    page_url: str | None, referrer: str | None, campaign: Mapping[str, str] | None = None
) -> Source:
    """Classify a page view's traffic source from its URL, referrer and Segment campaign."""
    landing = _clean(page_url, _MAX_URL_LENGTH)
    ref_text = _clean(referrer, _MAX_URL_LENGTH)
    page = _split_url(landing) if landing else None
    ref = _split_url(ref_text) if ref_text else None
    page_params = _query_params(page.query) if page else _NO_PARAMS
    utm = _campaign_values(campaign, page_params)
    click_id = _click_id(page_params)
    ref_host = ref.host if ref else None
    known = _known_host(ref_host, ref.scheme) if ref and ref_host else None
    ref_name = known.name if known else (_strip_www(ref_host) if ref_host else None)
    utm_source = utm["source"].lower() if "source" in utm else None
    utm_medium = utm.get("medium", "").lower()
    known_medium = known.medium if known else None

    keywords = None
    if click_id in _PAID_CLICK_IDS or utm_medium in _PAID_MEDIA:
        medium = "paid"
        source = utm_source or _PAID_CLICK_IDS.get(click_id or "") or ref_name
        keywords = utm.get("term") or _keywords(known, _ref_params(ref))
    elif utm_medium in _EMAIL_MEDIA or known_medium == "email":
        medium, source = "email", utm_source or ref_name
    elif utm_medium in _SOCIAL_MEDIA or known_medium == "social" or click_id in _SOCIAL_CLICK_IDS:
        medium = "social"
        fallback = ref_name if known_medium == "social" else None
        source = utm_source or fallback or _SOCIAL_CLICK_IDS.get(click_id or "") or ref_name
    elif utm_medium in _ORGANIC_MEDIA or known_medium == "organic":
        medium, source = "organic", utm_source or ref_name
        keywords = _keywords(known, _ref_params(ref))
    elif ref_host and page and page.host and _strip_www(ref_host) == _strip_www(page.host):
        medium, source = "internal", None
    elif ref_host or utm:
        medium, source = "referral", utm_source or ref_name
    else:
        medium, source = "direct", None

    return Source(
        medium=medium,
        source=source,
        keywords=keywords,
        campaign=utm.get("campaign"),
        term=utm.get("term"),
        content=utm.get("content"),
        click_id=click_id,
        referrer=ref_text,
        referrer_host=ref_host,
        landing_page=landing,
    )
