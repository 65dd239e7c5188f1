"""Tests for visitor language resolution."""

from __future__ import annotations

import pytest

from floorwalker.collect.enrich import Language, resolve_language


@pytest.mark.parametrize(
    ("locale", "code", "normalised"),
    [
        ("fr-FR", "fr", "fr-FR"),
        ("fr_FR", "fr", "fr-FR"),
        ("FR-fr", "fr", "fr-FR"),
        ("fr", "fr", "fr"),
        ("  de-AT ", "de", "de-AT"),
        ("zh-Hant-TW", "zh", "zh-TW"),
        ("zh-Hans", "zh", "zh"),
        ("en-US.UTF-8", "en", "en-US"),
        ("de_DE@euro", "de", "de-DE"),
        ("es-419", "es", "es-419"),
        ("en-GB-oxendict", "en", "en-GB"),
        ("iw-IL", "he", "he-IL"),  # legacy Java/Android code
        ("in_ID", "id", "id-ID"),
    ],
)
def test_locale(locale: str, code: str, normalised: str) -> None:
    assert resolve_language(locale, None) == Language(code=code, locale=normalised)


def test_locale_wins_over_accept_language() -> None:
    assert resolve_language("nl-BE", "fr-FR,fr;q=0.9") == Language(code="nl", locale="nl-BE")


@pytest.mark.parametrize(
    "locale", ["", "C", "POSIX", "x-klingon", "qq-QQ", "fil-PH", "english", "fr-FRANCE!", "e" * 65]
)
def test_invalid_locale_falls_back_to_header(locale: str) -> None:
    assert resolve_language(locale, "it-IT") == Language(code="it", locale="it-IT")


def test_accept_language_highest_quality_wins() -> None:
    header = "fr-CH, fr;q=0.9, en;q=0.8, de;q=0.7, *;q=0.5"
    assert resolve_language(None, header) == Language(code="fr", locale="fr-CH")


def test_accept_language_out_of_order_weights() -> None:
    header = "en;q=0.3, de-DE;q=0.8, fr;q=0.5"
    assert resolve_language(None, header) == Language(code="de", locale="de-DE")


def test_accept_language_equal_weights_keep_listed_order() -> None:
    assert resolve_language(None, "pt-BR, pt, en") == Language(code="pt", locale="pt-BR")


def test_accept_language_ignores_wildcard_and_zero_weight() -> None:
    assert resolve_language(None, "*, ja;q=0, ko;q=0.1") == Language(code="ko", locale="ko")
    assert resolve_language(None, "*;q=1, en;q=0") is None


def test_accept_language_skips_invalid_entries() -> None:
    header = "klingon;q=1, en-US;q=abc, es-ES;q=0.6"
    assert resolve_language(None, header) == Language(code="es", locale="es-ES")


def test_accept_language_weights_above_one_are_capped() -> None:
    assert resolve_language(None, "en;q=2, fr") == Language(code="en", locale="en")


def test_accept_language_with_spaces_around_q() -> None:
    assert resolve_language(None, "en ; q = 0.2 , sv ; q = 0.9") == Language(code="sv", locale="sv")


@pytest.mark.parametrize("header", [None, "", ",,,", "*", ";q=0.5", "🙂", "x" * 10_000])
def test_nothing_usable(header: str | None) -> None:
    assert resolve_language(None, header) is None


def test_huge_header_is_capped_but_leading_entries_count() -> None:
    header = "fi-FI, " + ", ".join(["en;q=0.1"] * 5000)
    assert resolve_language(None, header) == Language(code="fi", locale="fi-FI")
