"""The rules engine: condition language, segments, scenarios, decisions."""
