"""Tests for IP geolocation (iptocc country, MaxMind City database)."""

from __future__ import annotations

import importlib.util
import zoneinfo
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from floorwalker.collect.enrich import Geo, GeoLocator, default_time_zone
from floorwalker.collect.enrich.geo import _DEFAULT_TIME_ZONES


def _load_writer() -> ModuleType:
    # Loaded by path so the test works whatever pytest import mode or package layout is used.
    spec = importlib.util.spec_from_file_location(
        "floorwalker_tests_mmdb_writer", Path(__file__).with_name("mmdb_writer.py")
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


mmdb_writer = _load_writer()

PARIS: dict[str, Any] = {
    "city": {"geoname_id": 2988507, "names": {"en": "Paris", "fr": "Paris"}},
    "continent": {"code": "EU", "names": {"en": "Europe"}},
    "country": {"iso_code": "FR", "names": {"en": "France"}},
    "location": {
        "accuracy_radius": 20,
        "latitude": 48.8566,
        "longitude": 2.3522,
        "time_zone": "Europe/Paris",
    },
    "postal": {"code": "75001"},
    "subdivisions": [{"iso_code": "IDF", "names": {"en": "Île-de-France"}}],
}
# Country and city only: the time zone must come from the default table.
BERLIN: dict[str, Any] = {
    "city": {"names": {"en": "Berlin"}},
    "country": {"iso_code": "de"},
    "location": {"latitude": 52.52, "longitude": 13.405},
    "subdivisions": [{"iso_code": "BE"}],
}
MOUNTAIN_VIEW: dict[str, Any] = {
    "city": {"names": {"en": "Mountain View"}},
    "country": {"iso_code": "US"},
    "location": {"latitude": 37.386, "longitude": -122.0838, "time_zone": "America/Los_Angeles"},
    "postal": {"code": "94035"},
    "subdivisions": [{"iso_code": "CA", "names": {"en": "California"}}],
}


@pytest.fixture
def city_db(tmp_path: Path) -> Path:
    path: Path = mmdb_writer.write_mmdb(
        tmp_path / "city.mmdb",
        {
            "90.0.0.0/16": PARIS,
            "46.114.0.0/16": BERLIN,
            "2001:4860::/32": MOUNTAIN_VIEW,
            "1.1.1.0/24": {"traits": {"is_anycast": True}},
        },
    )
    return path


@pytest.fixture
def locator() -> GeoLocator:
    return GeoLocator()


@pytest.mark.parametrize(
    ("ip", "country"),
    [
        ("8.8.8.8", "US"),
        ("2001:4860:4860::8888", "US"),
        ("90.0.0.1", "FR"),
        ("195.154.0.1", "FR"),
        ("81.2.69.160", "GB"),
        ("77.88.8.8", "RU"),
        ("2a02:6b8::1", "RU"),
        ("::ffff:90.0.0.1", "FR"),
        (" 8.8.8.8 ", "US"),
    ],
)
def test_country_of_public_addresses(locator: GeoLocator, ip: str, country: str) -> None:
    assert locator.locate(ip) == Geo(country=country)


@pytest.mark.parametrize(
    "ip",
    [
        None,
        "",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "100.64.0.1",  # carrier-grade NAT
        "127.0.0.1",
        "169.254.10.10",
        "0.0.0.0",  # noqa: S104 - an address under test, not a bind
        "224.0.0.251",
        "240.0.0.1",
        "255.255.255.255",
        "192.0.2.10",  # documentation
        "::1",
        "::",
        "fe80::1",
        "fe80::1%eth0",
        "fc00::1",
        "ff02::1",
        "2001:db8::1",
        "::ffff:192.168.0.1",
        "not an ip",
        "999.1.1.1",
        "1.2.3.4:8080",
        "8.8.8.8" * 20,
    ],
)
def test_non_public_or_invalid_addresses_give_empty_geo(
    locator: GeoLocator, ip: str | None
) -> None:
    assert locator.locate(ip) == Geo()


def test_without_city_db_time_zone_is_left_to_caller(locator: GeoLocator) -> None:
    geo = locator.locate("90.0.0.1")
    assert geo.country == "FR"
    assert geo.time_zone is None
    assert geo.city is None


def test_results_are_cached(locator: GeoLocator) -> None:
    first = locator.locate("8.8.8.8")
    assert locator.locate("8.8.8.8") is first


def test_city_database_record(city_db: Path) -> None:
    geo = GeoLocator(str(city_db)).locate("90.0.12.34")
    assert geo == Geo(
        country="FR",
        city="Paris",
        region="Île-de-France",
        postal_code="75001",
        latitude=48.8566,
        longitude=2.3522,
        time_zone="Europe/Paris",
    )


def test_city_database_ipv6_record(city_db: Path) -> None:
    geo = GeoLocator(str(city_db)).locate("2001:4860:4860::8888")
    assert geo.city == "Mountain View"
    assert geo.region == "California"
    assert geo.time_zone == "America/Los_Angeles"
    assert geo.latitude == pytest.approx(37.386)
    assert geo.longitude == pytest.approx(-122.0838)


def test_city_database_missing_time_zone_uses_country_default(city_db: Path) -> None:
    geo = GeoLocator(str(city_db)).locate("46.114.1.1")
    assert geo.country == "DE"
    assert geo.city == "Berlin"
    assert geo.region == "BE"  # no English name: falls back to the ISO code
    assert geo.postal_code is None
    assert geo.time_zone == "Europe/Berlin"


def test_city_database_record_without_country_keeps_iptocc_country(city_db: Path) -> None:
    geo = GeoLocator(str(city_db)).locate("1.1.1.1")
    assert geo == Geo(country="AU", time_zone="Australia/Sydney")


def test_address_absent_from_city_database_keeps_iptocc_country(city_db: Path) -> None:
    geo = GeoLocator(str(city_db)).locate("81.2.69.160")
    assert geo == Geo(country="GB", time_zone="Europe/London")


def test_city_database_private_address(city_db: Path) -> None:
    assert GeoLocator(str(city_db)).locate("192.168.0.1") == Geo()


def test_close_releases_database(city_db: Path) -> None:
    locator = GeoLocator(str(city_db))
    assert locator.locate("90.0.0.1").city == "Paris"
    locator.close()
    locator.close()  # idempotent


def test_missing_city_database_fails_at_start(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mmdb"
    with pytest.raises(ValueError, match=r"not found.*nope\.mmdb"):
        GeoLocator(str(missing))


def test_directory_is_not_a_city_database(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="not found"):
        GeoLocator(str(tmp_path))


def test_invalid_city_database_fails_at_start(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.mmdb"
    bogus.write_bytes(b"this is not a MaxMind database" * 10)
    with pytest.raises(ValueError, match=r"not a readable MaxMind DB"):
        GeoLocator(str(bogus))


def test_default_time_zone() -> None:
    assert default_time_zone("FR") == "Europe/Paris"
    assert default_time_zone("us") == "America/New_York"
    assert default_time_zone("RU") == "Europe/Moscow"
    assert default_time_zone("NL") == "Europe/Amsterdam"
    assert default_time_zone("GB") == "Europe/London"
    assert default_time_zone("ZZ") is None
    assert default_time_zone(None) is None
    assert default_time_zone("") is None


def test_default_time_zones_are_real_iana_zones() -> None:
    assert len(_DEFAULT_TIME_ZONES) >= 60
    for country, zone in _DEFAULT_TIME_ZONES.items():
        assert len(country) == 2
        assert country.isupper()
        zoneinfo.ZoneInfo(zone)  # raises for an unknown zone
