"""Tests for user-agent parsing and bot detection."""

from __future__ import annotations

import pytest

from floorwalker.collect.enrich import Device, parse_user_agent

CHROME_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
SAFARI_MAC = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15"
)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1"
)
IPAD = (
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1"
)
ANDROID_PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.82 Mobile Safari/537.36"
)
ANDROID_TABLET = (
    "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
KINDLE_FIRE = (
    "Mozilla/5.0 (Linux; Android 9; KFMAWI) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Silk/122.3.1 like Chrome/122.0.6261.119 Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"
FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:125.0) Gecko/125.0 Firefox/125.0"
FIREFOX_ANDROID_TABLET = "Mozilla/5.0 (Android 14; Tablet; rv:125.0) Gecko/125.0 Firefox/125.0"
EDGE = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.67"
)
CHROMEBOOK = (
    "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36"
)
FACEBOOK_IN_APP = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/460.0.0.35.111;FBDV/iPhone15,2;"
    "FBMD/iPhone;FBSN/iOS;FBSV/17.4;FBSS/3;FBID/phone;FBLC/fr_FR;FBOP/5]"
)
SMART_TV = (
    "Mozilla/5.0 (SMART-TV; LINUX; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) "
    "76.0.3809.146/6.0 TV Safari/537.36"
)
PLAYSTATION = (
    "Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/13.0 Safari/605.1.15"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 10; Cubot X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.144 Mobile Safari/537.36"
)
CUBOT_WEBVIEW = (
    "Mozilla/5.0 (Linux; Android 12; KINGKONG 9 Build/SP1A.210812.016; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/120.0.6099.193 Mobile Safari/537.36 CUBOT"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
GOOGLEBOT_SMARTPHONE = (
    "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.118 Mobile Safari/537.36 "
    "(compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)
BINGBOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"
HEADLESS_CHROME = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/124.0.6367.60 Safari/537.36"
)
LIGHTHOUSE = (
    "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/119.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse"
)


def test_chrome_on_windows() -> None:
    assert parse_user_agent(CHROME_WINDOWS) == Device(
        browser="Chrome",
        browser_version="124.0",
        os="Windows",
        os_version="10",
        device_type="desktop",
    )


def test_safari_on_macos() -> None:
    device = parse_user_agent(SAFARI_MAC)
    assert (device.browser, device.browser_version) == ("Safari", "17.4")
    assert (device.os, device.os_version) == ("Mac OS X", "10.15.7")
    assert device.device_type == "desktop"
    assert device.device_brand == "Apple"
    assert not device.is_bot


def test_iphone_safari() -> None:
    device = parse_user_agent(IPHONE)
    assert device.browser == "Mobile Safari"
    assert (device.os, device.os_version) == ("iOS", "17.4.1")
    assert device.device_type == "mobile"
    assert (device.device_brand, device.device_model) == ("Apple", "iPhone")


def test_ipad_is_a_tablet_although_it_says_mobile() -> None:
    device = parse_user_agent(IPAD)
    assert device.device_type == "tablet"
    assert (device.os, device.os_version) == ("iOS", "16.6")
    assert device.device_model == "iPad"


def test_android_phone_chrome() -> None:
    assert parse_user_agent(ANDROID_PHONE) == Device(
        browser="Chrome Mobile",
        browser_version="124.0",
        os="Android",
        os_version="14",
        device_type="mobile",
        device_brand="Google",
        device_model="Pixel 8",
    )


@pytest.mark.parametrize("ua", [ANDROID_TABLET, KINDLE_FIRE, FIREFOX_ANDROID_TABLET])
def test_android_tablets(ua: str) -> None:
    device = parse_user_agent(ua)
    assert device.device_type == "tablet"
    assert device.os == "Android"
    assert not device.is_bot


def test_generic_android_brand_is_not_reported() -> None:
    device = parse_user_agent(ANDROID_TABLET)
    assert device.device_brand is None
    assert device.device_model == "SM-X700"
    assert parse_user_agent(FIREFOX_ANDROID).device_model is None  # "Smartphone" placeholder


def test_firefox_on_android_phone() -> None:
    device = parse_user_agent(FIREFOX_ANDROID)
    assert (device.browser, device.device_type) == ("Firefox Mobile", "mobile")


def test_firefox_on_linux() -> None:
    device = parse_user_agent(FIREFOX_LINUX)
    assert (device.browser, device.browser_version) == ("Firefox", "125.0")
    assert device.os == "Ubuntu"
    assert device.device_type == "desktop"


def test_edge_on_windows() -> None:
    device = parse_user_agent(EDGE)
    assert (device.browser, device.browser_version) == ("Edge", "124.0")
    assert device.device_type == "desktop"


def test_chromebook_is_desktop() -> None:
    device = parse_user_agent(CHROMEBOOK)
    assert (device.os, device.device_type) == ("Chrome OS", "desktop")


def test_facebook_in_app_browser_is_a_person_on_a_phone() -> None:
    device = parse_user_agent(FACEBOOK_IN_APP)
    assert (device.device_type, device.is_bot) == ("mobile", False)


@pytest.mark.parametrize("ua", [SMART_TV, PLAYSTATION])
def test_tv_and_console_are_other(ua: str) -> None:
    device = parse_user_agent(ua)
    assert (device.device_type, device.is_bot) == ("other", False)


@pytest.mark.parametrize("ua", [CUBOT_PHONE, CUBOT_WEBVIEW])
def test_cubot_phone_is_not_a_bot(ua: str) -> None:
    device = parse_user_agent(ua)
    assert not device.is_bot
    assert device.device_type == "mobile"


def test_cubot_brand() -> None:
    assert parse_user_agent(CUBOT_PHONE).device_brand == "Cubot"


@pytest.mark.parametrize(
    ("ua", "browser"),
    [
        (GOOGLEBOT, "Googlebot"),
        (GOOGLEBOT_SMARTPHONE, "Googlebot"),
        (BINGBOT, "bingbot"),
        ("curl/8.4.0", "curl"),
        (HEADLESS_CHROME, "HeadlessChrome"),
        (LIGHTHOUSE, "Chrome Mobile"),
        ("python-requests/2.31.0", None),
        ("python-httpx/0.27.0", None),
        ("Go-http-client/2.0", None),
        ("Wget/1.21.4", None),
        ("okhttp/4.12.0", None),
        ("Java/17.0.2", None),
        ("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", None),
        ("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)", None),
        ("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)", None),
        ("Mozilla/5.0 (compatible; Yahoo! Slurp; http://help.yahoo.com/help/us/ysearch/)", None),
        ("Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", None),
        ("Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)", None),
        ("Mozilla/5.0", None),
    ],
)
def test_bots(ua: str, browser: str | None) -> None:
    device = parse_user_agent(ua)
    assert device.is_bot
    assert device.device_type == "bot"
    assert device.device_brand is None
    assert device.device_model is None
    if browser is not None:
        assert device.browser == browser


@pytest.mark.parametrize("ua", [None, "", "   "])
def test_missing_user_agent(ua: str | None) -> None:
    assert parse_user_agent(ua) == Device(device_type="other", is_bot=False)


def test_unknown_user_agent_is_other() -> None:
    device = parse_user_agent("SomethingNobodyKnows (Unknown OS)")
    assert device.device_type == "other"
    assert device.browser is None
    assert not device.is_bot


def test_long_user_agent_is_truncated_and_parsed() -> None:
    device = parse_user_agent(CHROME_WINDOWS + " " + "x" * 100_000)
    assert device.browser == "Chrome"
    assert device.device_type == "desktop"


def test_results_are_cached() -> None:
    assert parse_user_agent(IPHONE) is parse_user_agent(IPHONE)
