"""Workspaces, sites, their keys, and admin tokens."""
