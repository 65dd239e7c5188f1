"""Floorwalker: a self-hosted proactive engagement server."""

__version__ = "0.1.0"
