"""Server-side event enrichment: geolocation, device, traffic source, language, clock.

Pure functions and small classes with no database or web dependency; each caches what
repeats so it can run on every collected event.
"""

from floorwalker.collect.enrich.clock import correct_timestamp
from floorwalker.collect.enrich.geo import Geo, GeoLocator, default_time_zone
from floorwalker.collect.enrich.language import Language, resolve_language
from floorwalker.collect.enrich.source import Source, classify_source
from floorwalker.collect.enrich.useragent import Device, parse_user_agent

__all__ = [
    "Device",
    "Geo",
    "GeoLocator",
    "Language",
    "Source",
    "classify_source",
    "correct_timestamp",
    "default_time_zone",
    "parse_user_agent",
    "resolve_language",
]
