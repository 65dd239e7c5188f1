"""Texts people read: the template language and the languages Floorwalker speaks."""
