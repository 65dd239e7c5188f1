"""Visitor language from the SDK's locale or the Accept-Language header."""

from __future__ import annotations

import functools
import re

import msgspec

__all__ = ["Language", "resolve_language"]

_MAX_LOCALE_LENGTH = 64
_MAX_HEADER_LENGTH = 512
_MAX_HEADER_ENTRIES = 32
_CACHE_SIZE = 4096

# ISO 639-1 two-letter language codes.
_ISO_639_1_CODES = """
    aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr
    ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
    ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
    ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr
    ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
    yo za zh zu
"""
_ISO_639_1 = frozenset(_ISO_639_1_CODES.split())
# Withdrawn codes that Java and so older Android still send.
_LEGACY_CODES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro"}

# language[-Script][-REGION][-anything]; POSIX suffixes (.UTF-8, @euro) are cut beforehand.
_TAG_RE = re.compile(
    r"^([a-z]{2})(?:-[a-z]{4})?(?:-([a-z]{2}|[0-9]{3}))?(?:-[a-z0-9]{1,8})*$", re.IGNORECASE
)
_Q_RE = re.compile(r"^\s*q\s*=\s*([0-9](?:\.[0-9]{0,3})?)\s*$", re.IGNORECASE)


class Language(msgspec.Struct, frozen=True, kw_only=True):
    """A visitor's language: ISO 639-1 code and normalised locale ("fr-FR" or "fr")."""

    code: str
    locale: str


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_tag(tag: str) -> Language | None:
    """Normalise one language tag; the script subtag is dropped ("zh-Hant-TW" -> "zh-TW")."""
    tag = tag.split(".", 1)[0].split("@", 1)[0].strip().replace("_", "-")
    match = _TAG_RE.match(tag)
    if match is None:
        return None
    code = match.group(1).lower()
    code = _LEGACY_CODES.get(code, code)
    if code not in _ISO_639_1:
        return None
    region = match.group(2)
    return Language(code=code, locale=f"{code}-{region.upper()}" if region else code)


def _quality(params: list[str]) -> float | None:
    """Return the q weight of an Accept-Language entry (1 when absent), None when malformed."""
    for param in params:
        if param.strip().lower().startswith("q"):
            match = _Q_RE.match(param)
            return min(float(match.group(1)), 1.0) if match else None
    return 1.0


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _parse_accept_language(header: str) -> Language | None:
    best: Language | None = None
    best_q = 0.0
    for entry in header.split(",")[:_MAX_HEADER_ENTRIES]:
        tag, *params = entry.split(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        q = _quality(params)
        # Strictly greater: among equal weights the first listed wins.
        if q is None or q <= best_q:
            continue
        language = _parse_tag(tag)
        if language is not None:
            best, best_q = language, q
    return best


def resolve_language(locale: str | None, accept_language: str | None) -> Language | None:
    """Return the SDK locale when valid, else the preferred Accept-Language entry, else None."""
    if locale and len(locale) <= _MAX_LOCALE_LENGTH:
        language = _parse_tag(locale)
        if language is not None:
            return language
    if accept_language:
        return _parse_accept_language(accept_language[:_MAX_HEADER_LENGTH])
    return None
