"""Tests for traffic source classification."""

from __future__ import annotations

import pytest

from floorwalker.collect.enrich import Source, classify_source

PAGE = "https://shop.example.com/shoes"


def test_direct_when_nothing_is_known() -> None:
    assert classify_source(PAGE, None) == Source(medium="direct", landing_page=PAGE)


def test_direct_with_nothing_at_all() -> None:
    assert classify_source(None, None, None) == Source(medium="direct")
    assert classify_source("", "  ", {}) == Source(medium="direct")


@pytest.mark.parametrize(
    "referrer",
    [
        "https://www.google.com/",
        "https://www.google.co.uk/",
        "https://www.google.com.br/",
        "https://google.fr/",
        "https://news.google.com/articles/x",
        "android-app://com.google.android.googlequicksearchbox/",
    ],
)
def test_google_is_organic_on_any_country_domain(referrer: str) -> None:
    source = classify_source(PAGE, referrer)
    assert (source.medium, source.source, source.keywords) == ("organic", "google", None)
    assert source.referrer == referrer


def test_google_keywords_when_present() -> None:
    source = classify_source(PAGE, "https://www.google.com/search?q=red+shoes&hl=en")
    assert source.keywords == "red shoes"
    assert source.referrer_host == "www.google.com"


@pytest.mark.parametrize(
    ("referrer", "engine", "keywords"),
    [
        (
            "https://yandex.ru/search/?text=%D0%BA%D1%80%D0%B0%D1%81%D0%BD%D1%8B%D0%B5"
            "+%D1%82%D1%83%D1%84%D0%BB%D0%B8&lr=213",
            "yandex",
            "красные туфли",
        ),
        ("https://yandex.com.tr/search/?text=ayakkab%C4%B1", "yandex", "ayakkab\u0131"),
        ("https://www.bing.com/search?q=floor+walker&form=QBLH", "bing", "floor walker"),
        ("https://fr.search.yahoo.com/search?p=chaussures", "yahoo", "chaussures"),
        ("https://search.yahoo.co.jp/search?p=%E9%9D%B4", "yahoo", "靴"),
        ("https://duckduckgo.com/?q=shoes&ia=web", "duckduckgo", "shoes"),
        ("https://www.baidu.com/s?wd=%E9%9E%8B", "baidu", "鞋"),
        ("https://m.baidu.com/s?word=shoes", "baidu", "shoes"),
        ("https://www.ecosia.org/search?q=trees", "ecosia", "trees"),
        ("https://www.qwant.com/?q=chaussures&t=web", "qwant", "chaussures"),
        ("https://search.naver.com/search.naver?query=%EC%8B%A0%EB%B0%9C", "naver", "신발"),
        ("https://search.seznam.cz/?q=boty", "seznam", "boty"),
        ("https://search.brave.com/search?q=privacy", "brave", "privacy"),
        ("https://www.startpage.com/do/search?query=shoes", "startpage", "shoes"),
        ("https://www.ecosia.org/", "ecosia", None),
    ],
)
def test_search_engines_and_their_keywords(
    referrer: str, engine: str, keywords: str | None
) -> None:
    source = classify_source(PAGE, referrer)
    assert (source.medium, source.source, source.keywords) == ("organic", engine, keywords)


@pytest.mark.parametrize(
    "referrer",
    [
        "https://docs.google.com/document/d/1/edit",
        "https://play.google.com/store/apps",
        "https://brave.com/download/",
        "https://www.googleblog.com/",
        "https://google.evil.com/",
    ],
)
def test_non_search_pages_of_search_brands_are_referrals(referrer: str) -> None:
    assert classify_source(PAGE, referrer).medium == "referral"


def test_gclid_is_paid_google() -> None:
    source = classify_source(PAGE + "?gclid=Cj0KCQ", "https://www.google.fr/")
    assert (source.medium, source.source, source.click_id) == ("paid", "google", "gclid")


@pytest.mark.parametrize(
    ("param", "network"),
    [
        ("gbraid", "google"),
        ("wbraid", "google"),
        ("dclid", "google"),
        ("msclkid", "bing"),
        ("ttclid", "tiktok"),
        ("li_fat_id", "linkedin"),
        ("twclid", "twitter"),
    ],
)
def test_paid_click_ids_without_referrer(param: str, network: str) -> None:
    source = classify_source(f"{PAGE}?{param}=x1", None)
    assert (source.medium, source.source, source.click_id) == ("paid", network, param)


def test_paid_search_keywords_from_referrer_when_no_term() -> None:
    source = classify_source(PAGE + "?msclkid=1", "https://www.bing.com/search?q=red+shoes")
    assert (source.medium, source.source, source.keywords) == ("paid", "bing", "red shoes")


@pytest.mark.parametrize("medium", ["cpc", "CPC", "ppc", "paid_search", "display", "cpm"])
def test_utm_paid_media(medium: str) -> None:
    url = f"{PAGE}?utm_source=Google&utm_medium={medium}&utm_campaign=spring&utm_term=shoes"
    source = classify_source(url, "https://www.google.com/")
    assert source == Source(
        medium="paid",
        source="google",
        keywords="shoes",
        campaign="spring",
        term="shoes",
        referrer="https://www.google.com/",
        referrer_host="www.google.com",
        landing_page=url,
    )


def test_paid_source_falls_back_to_referrer() -> None:
    source = classify_source(PAGE + "?utm_medium=banner", "https://ads.partner.net/x")
    assert (source.medium, source.source) == ("paid", "ads.partner.net")


def test_fbclid_from_facebook_is_social_not_paid() -> None:
    source = classify_source(PAGE + "?fbclid=IwAR0abc", "https://l.facebook.com/")
    assert (source.medium, source.source, source.click_id) == ("social", "facebook", "fbclid")


def test_fbclid_without_referrer_is_social_facebook() -> None:
    source = classify_source(PAGE + "?fbclid=IwAR0abc", None)
    assert (source.medium, source.source) == ("social", "facebook")


@pytest.mark.parametrize(
    ("referrer", "network"),
    [
        ("https://m.facebook.com/", "facebook"),
        ("https://www.instagram.com/", "instagram"),
        ("https://t.co/AbCdEf", "twitter"),
        ("https://x.com/someone/status/1", "twitter"),
        ("https://www.linkedin.com/feed/", "linkedin"),
        ("https://lnkd.in/abc", "linkedin"),
        ("https://old.reddit.com/r/shoes", "reddit"),
        ("https://www.pinterest.fr/pin/1/", "pinterest"),
        ("https://www.pinterest.co.uk/pin/1/", "pinterest"),
        ("https://www.youtube.com/watch?v=1", "youtube"),
        ("https://www.tiktok.com/@shop", "tiktok"),
        ("https://vk.com/shop", "vk"),
        ("https://ok.ru/group/1", "ok"),
        ("https://www.threads.net/@shop", "threads"),
        ("android-app://com.facebook.katana/", "facebook"),
    ],
)
def test_social_networks(referrer: str, network: str) -> None:
    source = classify_source(PAGE, referrer)
    assert (source.medium, source.source) == ("social", network)


def test_utm_social_medium_wins_over_search_referrer() -> None:
    source = classify_source(PAGE + "?utm_medium=social&utm_source=IG", "https://www.google.com/")
    assert (source.medium, source.source) == ("social", "ig")


@pytest.mark.parametrize("medium", ["email", "e-mail", "E_Mail", "newsletter"])
def test_utm_email(medium: str) -> None:
    url = f"{PAGE}?utm_source=newsletter&utm_medium={medium}&utm_campaign=may&utm_content=hero"
    source = classify_source(url, None)
    assert (source.medium, source.source) == ("email", "newsletter")
    assert (source.campaign, source.content) == ("may", "hero")


@pytest.mark.parametrize(
    ("referrer", "name"),
    [
        ("https://mail.google.com/mail/u/0/", "mail.google.com"),
        ("https://outlook.live.com/mail/0/inbox", "outlook.live.com"),
        ("https://mail.yahoo.com/d/folders/1", "mail.yahoo.com"),
        ("https://e.mail.ru/inbox/", "e.mail.ru"),
        ("https://mail.yandex.ru/", "mail.yandex.ru"),
        ("android-app://com.google.android.gm/", "gmail"),
    ],
)
def test_webmail_referrers_are_email(referrer: str, name: str) -> None:
    source = classify_source(PAGE, referrer)
    assert (source.medium, source.source) == ("email", name)


def test_utm_organic() -> None:
    source = classify_source(PAGE + "?utm_source=gmb&utm_medium=organic", None)
    assert (source.medium, source.source) == ("organic", "gmb")


@pytest.mark.parametrize(
    ("page", "referrer"),
    [
        ("https://shop.example.com/cart", "https://shop.example.com/shoes?id=1"),
        ("https://www.example.com/cart", "https://example.com/"),
        ("https://example.com/cart", "https://WWW.Example.com/"),
    ],
)
def test_internal_navigation(page: str, referrer: str) -> None:
    source = classify_source(page, referrer)
    assert (source.medium, source.source) == ("internal", None)
    assert source.referrer_host == referrer.split("/")[2].lower()


def test_other_site_is_a_referral() -> None:
    source = classify_source(PAGE, "https://blog.other.org/post?id=1")
    assert source == Source(
        medium="referral",
        source="blog.other.org",
        referrer="https://blog.other.org/post?id=1",
        referrer_host="blog.other.org",
        landing_page=PAGE,
    )


def test_ip_literal_referrers_are_referrals() -> None:
    source = classify_source(PAGE, "http://[2001:db8::1]:8080/admin")
    assert (source.medium, source.referrer_host) == ("referral", "2001:db8::1")
    assert classify_source(PAGE, "http://192.0.2.7/").source == "192.0.2.7"


def test_www_is_dropped_from_referral_source() -> None:
    assert classify_source(PAGE, "https://www.other.org/").source == "other.org"


def test_utm_source_without_known_medium_is_referral() -> None:
    source = classify_source(PAGE + "?utm_source=partner&utm_medium=affiliate", None)
    assert (source.medium, source.source) == ("referral", "partner")


def test_segment_campaign_context() -> None:
    campaign = {"name": "Spring Sale", "source": "Partner", "medium": "cpc", "term": "red shoes"}
    source = classify_source(PAGE, None, campaign)
    assert (source.medium, source.source) == ("paid", "partner")
    assert source.campaign == "Spring Sale"
    assert source.term == source.keywords == "red shoes"


def test_campaign_context_accepts_utm_spelled_keys() -> None:
    source = classify_source(PAGE, None, {"utm_source": "news", "utm_medium": "email"})
    assert (source.medium, source.source) == ("email", "news")


def test_campaign_context_wins_and_url_fills_missing_keys() -> None:
    url = PAGE + "?utm_source=url&utm_medium=email&utm_campaign=from-url&utm_content=banner"
    source = classify_source(url, None, {"source": "ctx", "name": "from-ctx"})
    assert (source.medium, source.source) == ("email", "ctx")
    assert (source.campaign, source.content) == ("from-ctx", "banner")


def test_utm_parameter_names_are_case_insensitive() -> None:
    source = classify_source(PAGE + "?UTM_SOURCE=news&Utm_Medium=Email", None)
    assert (source.medium, source.source) == ("email", "news")


def test_bare_host_referrer() -> None:
    source = classify_source(PAGE, "google.com/search?q=x")
    assert (source.medium, source.keywords, source.referrer_host) == ("organic", "x", "google.com")


@pytest.mark.parametrize(
    "referrer", ["http://[::1", "not a url at all", "about:blank", "http://exa mple.com/", "://"]
)
def test_malformed_referrer_is_direct(referrer: str) -> None:
    source = classify_source(PAGE, referrer)
    assert source.medium == "direct"
    assert source.referrer_host is None


def test_malformed_page_url_still_reads_utm() -> None:
    source = classify_source("http://[::1/x?utm_source=news&utm_medium=email", "http://[bad")
    assert (source.medium, source.source) == ("email", "news")


def test_page_url_without_host_is_never_internal() -> None:
    source = classify_source("/relative/path", "https://other.org/")
    assert (source.medium, source.source) == ("referral", "other.org")


def test_long_values_are_capped() -> None:
    url = PAGE + "?utm_source=" + "s" * 300 + "&utm_campaign=" + "c" * 300
    source = classify_source(url + "&pad=" + "p" * 5000, "https://other.org/" + "r" * 5000)
    assert source.landing_page is not None
    assert len(source.landing_page) == 2048
    assert source.referrer is not None
    assert len(source.referrer) == 2048
    assert source.source == "s" * 200
    assert source.campaign == "c" * 200


def test_non_string_campaign_values_are_ignored() -> None:
    campaign: dict[str, object] = {"source": 12, "medium": None, "name": "ok"}
    source = classify_source(PAGE, None, campaign)  # type: ignore[arg-type]
    assert (source.medium, source.source, source.campaign) == ("referral", None, "ok")
