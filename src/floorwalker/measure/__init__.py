"""Measure: conversions (purchases) and the reports that weigh every automatic message
and chat against them (docs/reports.md)."""
