"""The page's language (``context.page.lang``, from ``<html lang>``) comes before the
browser's when Floorwalker speaks it: an English browser on a French shop reads French."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Tenant
from tests.helpers import call, profile, send, timeline


@pytest.mark.parametrize(("page_lang", "locale", "language", "locale_out"), [
    ("fr", "en-US", "fr", "fr"),          # the French shop, an English browser
    ("fr-BE", "en-GB", "fr", "fr-BE"),
    ("fr", "fr-CA", "fr", "fr-CA"),       # same language: the browser's region stays
    ("ja", "en-US", "en", "en-US"),       # a language we do not speak: the browser's
    ("", "de-DE", "de", "de-DE"),         # no <html lang>
    ("x" * 40, "nl-NL", "nl", "nl-NL"),   # nonsense is ignored
])
async def test_the_pages_language_comes_first_when_spoken(
        client: httpx.AsyncClient, alice: Tenant, page_lang: str, locale: str, language: str,
        locale_out: str) -> None:
    anon = f"lang-{page_lang[:8]}-{locale}"
    await send(client, alice, call("page", anon=anon, context={
        "locale": locale, "page": {"url": "https://acme.example/", "lang": page_lang}}))
    ctx = (await timeline(client, alice, anon))[0]["context"]
    assert (ctx["language"], ctx["locale"]) == (language, locale_out)
    assert (await profile(client, alice, anon))["language"] == language
