"""IP address geolocation: country offline via iptocc, city via an optional MaxMind DB."""

from __future__ import annotations

import functools
import ipaddress
import os
from collections.abc import Mapping
from typing import Any

import maxminddb
import msgspec
from iptocc import country_code

__all__ = ["Geo", "GeoLocator", "default_time_zone"]

# Distinct client IPs seen in a working set; a hit on this cache costs well under a microsecond.
_CACHE_SIZE = 65_536
# Longest textual IPv6 address with an IPv4 tail and a zone id is ~45 characters; anything
# much longer is garbage and is not worth caching.
_MAX_IP_LENGTH = 64

# One IANA zone per country, the one most of its population lives in. Used when the city
# database knows the country but not the zone.
_DEFAULT_TIME_ZONES: Mapping[str, str] = {
    "AE": "Asia/Dubai",
    "AR": "America/Argentina/Buenos_Aires",
    "AT": "Europe/Vienna",
    "AU": "Australia/Sydney",
    "BD": "Asia/Dhaka",
    "BE": "Europe/Brussels",
    "BG": "Europe/Sofia",
    "BR": "America/Sao_Paulo",
    "BY": "Europe/Minsk",
    "CA": "America/Toronto",
    "CH": "Europe/Zurich",
    "CL": "America/Santiago",
    "CN": "Asia/Shanghai",
    "CO": "America/Bogota",
    "CZ": "Europe/Prague",
    "DE": "Europe/Berlin",
    "DK": "Europe/Copenhagen",
    "DZ": "Africa/Algiers",
    "EG": "Africa/Cairo",
    "ES": "Europe/Madrid",
    "FI": "Europe/Helsinki",
    "FR": "Europe/Paris",
    "GB": "Europe/London",
    "GR": "Europe/Athens",
    "HK": "Asia/Hong_Kong",
    "HR": "Europe/Zagreb",
    "HU": "Europe/Budapest",
    "ID": "Asia/Jakarta",
    "IE": "Europe/Dublin",
    "IL": "Asia/Jerusalem",
    "IN": "Asia/Kolkata",
    "IR": "Asia/Tehran",
    "IT": "Europe/Rome",
    "JP": "Asia/Tokyo",
    "KE": "Africa/Nairobi",
    "KR": "Asia/Seoul",
    "KZ": "Asia/Almaty",
    "LU": "Europe/Luxembourg",
    "MA": "Africa/Casablanca",
    "MX": "America/Mexico_City",
    "MY": "Asia/Kuala_Lumpur",
    "NG": "Africa/Lagos",
    "NL": "Europe/Amsterdam",
    "NO": "Europe/Oslo",
    "NZ": "Pacific/Auckland",
    "PE": "America/Lima",
    "PH": "Asia/Manila",
    "PK": "Asia/Karachi",
    "PL": "Europe/Warsaw",
    "PT": "Europe/Lisbon",
    "RO": "Europe/Bucharest",
    "RS": "Europe/Belgrade",
    "RU": "Europe/Moscow",
    "SA": "Asia/Riyadh",
    "SE": "Europe/Stockholm",
    "SG": "Asia/Singapore",
    "SK": "Europe/Bratislava",
    "TH": "Asia/Bangkok",
    "TN": "Africa/Tunis",
    "TR": "Europe/Istanbul",
    "TW": "Asia/Taipei",
    "UA": "Europe/Kyiv",
    "US": "America/New_York",
    "VE": "America/Caracas",
    "VN": "Asia/Ho_Chi_Minh",
    "ZA": "Africa/Johannesburg",
}


class Geo(msgspec.Struct, frozen=True, kw_only=True):
    """Where an IP address is; every field is None when unknown."""

    country: str | None = None
    """ISO 3166-1 alpha-2 code, upper case."""
    city: str | None = None
    region: str | None = None
    """First-level subdivision name (state, région, ...)."""
    postal_code: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    time_zone: str | None = None
    """IANA time zone name."""


_UNKNOWN = Geo()


def default_time_zone(country: str | None) -> str | None:
    """Return the usual IANA time zone of a country code, or None when not in the table."""
    if not country:
        return None
    return _DEFAULT_TIME_ZONES.get(country.upper())


def _public_address(ip: str) -> str | None:
    """Return the address to look up, or None when it is invalid or not publicly routed."""
    try:
        addr = ipaddress.ip_address(ip.strip())
    except ValueError:
        return None
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    if (
        not addr.is_global
        or addr.is_multicast
        or addr.is_reserved
        or addr.is_unspecified
        or addr.is_link_local
    ):
        return None
    return str(addr)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _english_name(record: object) -> str | None:
    if not isinstance(record, Mapping):
        return None
    names = record.get("names")
    return _text(names.get("en")) if isinstance(names, Mapping) else None


def _coordinate(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _from_city_record(record: Mapping[str, Any], fallback_country: str | None) -> Geo:
    """Build a Geo from a GeoIP2/GeoLite2 City shaped record, tolerating missing parts."""
    country_rec = record.get("country")
    country = _text(country_rec.get("iso_code")) if isinstance(country_rec, Mapping) else None
    country = country.upper() if country else fallback_country
    subdivisions = record.get("subdivisions")
    region = None
    if isinstance(subdivisions, list) and subdivisions:
        first = subdivisions[0]
        region = _english_name(first)
        if region is None and isinstance(first, Mapping):
            region = _text(first.get("iso_code"))
    postal = record.get("postal")
    location = record.get("location")
    if not isinstance(location, Mapping):
        location = {}
    return Geo(
        country=country,
        city=_english_name(record.get("city")),
        region=region,
        postal_code=_text(postal.get("code")) if isinstance(postal, Mapping) else None,
        latitude=_coordinate(location.get("latitude")),
        longitude=_coordinate(location.get("longitude")),
        time_zone=_text(location.get("time_zone")) or default_time_zone(country),
    )


class GeoLocator:
    """Locates IP addresses; country from iptocc, details from a MaxMind City DB if given.

    Without a city database only ``country`` is filled (``time_zone`` stays None so the
    caller can fall back on the browser's zone). With one, its record wins over iptocc and
    a missing time zone is filled from :func:`default_time_zone`. Results are cached per
    locator in a bounded LRU cache.
    """

    def __init__(self, city_db_path: str | None = None) -> None:
        self._reader: maxminddb.Reader | None = None
        if city_db_path is not None:
            self._reader = self._open(city_db_path)
        self._cached = functools.lru_cache(maxsize=_CACHE_SIZE)(self._lookup)

    @staticmethod
    def _open(path: str) -> maxminddb.Reader:
        if not os.path.isfile(path):
            raise ValueError(f"GeoIP city database not found: {path!r} is not a file")
        try:
            return maxminddb.open_database(path, maxminddb.MODE_AUTO)
        except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
            raise ValueError(
                f"GeoIP city database {path!r} is not a readable MaxMind DB file: {exc}"
            ) from exc

    def locate(self, ip: str | None) -> Geo:
        """Return the location of an IP address; Geo() for private, invalid or unknown ones."""
        if not ip or len(ip) > _MAX_IP_LENGTH:
            return _UNKNOWN
        return self._cached(ip)

    def close(self) -> None:
        """Release the city database; the locator must not be used afterwards."""
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        self._cached.cache_clear()

    def _lookup(self, ip: str) -> Geo:
        address = _public_address(ip)
        if address is None:
            return _UNKNOWN
        country = country_code(address)
        if self._reader is None:
            return Geo(country=country) if country else _UNKNOWN
        try:
            record = self._reader.get(address)
        except ValueError:
            # An IPv6 address looked up in an IPv4-only database.
            record = None
        if isinstance(record, Mapping):
            return _from_city_record(record, country)
        if country is None:
            return _UNKNOWN
        return Geo(country=country, time_zone=default_time_zone(country))
