"""The examples in the condition reference are valid conditions."""

from __future__ import annotations

import json
import re
from pathlib import Path

from floorwalker.rules.conditions import validate

REFERENCE = Path(__file__).parent.parent.parent / "docs" / "rules.md"


def test_every_example_in_the_reference_validates() -> None:
    blocks = re.findall(r"```json\n(.*?)```", REFERENCE.read_text(), re.S)
    trees = []
    for block in blocks:
        try:
            parsed = json.loads(block)
        except json.JSONDecodeError:  # one condition per line
            parsed = [json.loads(line) for line in block.splitlines() if line.strip()]
        trees.extend(parsed if isinstance(parsed, list) else [parsed])
    conditions_only = [t for t in trees if "problem" not in t]
    assert len(conditions_only) >= 11
    for tree in conditions_only:
        assert validate(tree) == [], tree
