"""Choosing and checking the language versions of a scenario text."""

from __future__ import annotations

import pytest

from floorwalker.texts.i18n import SUPPORTED_UI_LANGUAGES, choose_language, validate_versions

VERSIONS = {"en": "Need help?", "fr": "Besoin d'aide ?", "de": "Brauchen Sie Hilfe?"}


def test_locale_falls_back_to_its_language() -> None:
    assert choose_language(VERSIONS, "fr", "fr-CA", "en") == ("fr", "Besoin d'aide ?")


def test_exact_locale_wins_over_language() -> None:
    versions = {**VERSIONS, "fr-CA": "Besoin d'un coup de main ?"}
    assert choose_language(versions, "fr", "fr-CA", "en") == ("fr-CA",
                                                              "Besoin d'un coup de main ?")


def test_language_used_without_locale() -> None:
    assert choose_language(VERSIONS, "de", None, "en")[0] == "de"


def test_unknown_language_gets_default() -> None:
    assert choose_language(VERSIONS, "ja", "ja-JP", "en") == ("en", "Need help?")
    assert choose_language(VERSIONS, None, None, "fr")[0] == "fr"


def test_missing_default_gets_first_version() -> None:
    assert choose_language({"nl": "Hulp nodig?", "de": "Hilfe?"}, "ja", None, "en") == (
        "nl", "Hulp nodig?")


def test_keys_compare_case_insensitively() -> None:
    versions = {"FR-ca": "québécois", "EN": "english"}
    assert choose_language(versions, None, "fr-CA", "en") == ("FR-ca", "québécois")
    assert choose_language(versions, None, "fr_ca", "en")[0] == "FR-ca"
    assert choose_language(versions, "ja", None, "en") == ("EN", "english")


def test_no_versions_is_an_error() -> None:
    with pytest.raises(ValueError, match="no language versions"):
        choose_language({}, "en", None, "en")


def test_widget_languages() -> None:
    assert SUPPORTED_UI_LANGUAGES == ("en", "fr", "de", "ru", "nl")


def test_valid_versions_have_no_problems() -> None:
    versions = {"en": "Hi {{ visitor.first_name | default('there') }}!", "pt-BR": "Olá!",
                "es-419": "¡Hola!"}
    assert validate_versions(versions, "en") == []


def test_no_versions() -> None:
    assert validate_versions({}, "en") == ["at least one language version is required"]


def test_default_language_missing() -> None:
    assert validate_versions({"fr": "Bonjour"}, "en") == [
        "the default language 'en' has no version"]


@pytest.mark.parametrize("key", ["english", "f", "fr-", "fr-CAN-x", "12", ""])
def test_bad_language_key(key: str) -> None:
    problems = validate_versions({"en": "Hi", key: "?"}, "en")
    assert problems == [f"{key!r} is not a language key such as 'en', 'fr' or 'pt-BR'"]


def test_same_language_twice() -> None:
    assert validate_versions({"fr-CA": "a", "fr-ca": "b"}, "fr-CA") == [
        "'fr-ca' and 'fr-CA' are the same language"]


def test_template_problems_are_prefixed_with_language() -> None:
    problems = validate_versions({"en": "Hi", "fr": 'Salut {% include "x" %}'}, "en")
    assert problems == ["fr: line 1: {% include %} is not allowed"]
