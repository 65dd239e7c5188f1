"""Language versions of scenario texts: pick the one for a visitor, check a set of them.

A scenario text is a mapping from a language key ("en", "fr", "pt-BR") to a template.
Keys compare case-insensitively and with "_" or "-" ("fr_ca" == "fr-CA"). Widget UI
strings (buttons, placeholders) live with the widget; this module only names the
languages it ships.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TypeVar

from floorwalker.texts.templates import validate_template

__all__ = ["SUPPORTED_UI_LANGUAGES", "choose_language", "normalise_language", "validate_versions"]

T = TypeVar("T")

#: Languages the widget's own strings are translated into.
SUPPORTED_UI_LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "ru", "nl")

# A language (2-3 letters), optionally a script (4 letters) and/or a region (2 letters or
# 3 digits): "en", "fr-CA", "pt-BR", "zh-Hant-TW", "es-419".
_LANGUAGE_KEY = re.compile(r"^[a-z]{2,3}(?:-[a-z]{4})?(?:-(?:[a-z]{2}|[0-9]{3}))?$")


def normalise_language(key: str) -> str:
    """Comparable form of a language key: lower case, "-" as separator ("fr_CA" -> "fr-ca")."""
    return key.strip().replace("_", "-").lower()


def choose_language(
    versions: Mapping[str, T], language: str | None, locale: str | None, default: str
) -> tuple[str, T]:
    """The version for a visitor, as (key as written in ``versions``, value).

    Tries the exact ``locale`` ("fr-CA"), then its language ("fr"), then ``language``,
    then the ``default`` language, then the first version. Raises ValueError when
    ``versions`` is empty.
    """
    if not versions:
        raise ValueError("no language versions to choose from")
    by_key: dict[str, str] = {}
    for key in versions:
        by_key.setdefault(normalise_language(key), key)
    wanted: list[str] = []
    for tag in (locale, language):
        if tag:
            norm = normalise_language(tag)
            wanted += [norm, norm.split("-", 1)[0]]
    wanted.append(normalise_language(default))
    for candidate in wanted:
        found = by_key.get(candidate)
        if found is not None:
            return found, versions[found]
    first = next(iter(versions))
    return first, versions[first]


def validate_versions(versions: Mapping[str, str], default: str) -> list[str]:
    """Problems of a set of language versions; [] when it can be saved.

    Reports no versions, a missing ``default`` version, malformed or duplicate keys, and
    each template's :func:`validate_template` problems prefixed with its key.
    """
    if not versions:
        return ["at least one language version is required"]
    problems: list[str] = []
    seen: dict[str, str] = {}
    for key in versions:
        norm = normalise_language(key)
        if not _LANGUAGE_KEY.match(norm):
            problems.append(f"{key!r} is not a language key such as 'en', 'fr' or 'pt-BR'")
        elif norm in seen:
            problems.append(f"{key!r} and {seen[norm]!r} are the same language")
        else:
            seen[norm] = key
    if normalise_language(default) not in seen:
        problems.append(f"the default language {default!r} has no version")
    for key, source in versions.items():
        problems += [f"{key}: {problem}" for problem in validate_template(source)]
    return problems
