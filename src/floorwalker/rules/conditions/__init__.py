"""The condition language: JSON trees validated when saved and compiled to closures.

See docs/rules.md for the grammar, the operators and every operand.
"""

from floorwalker.rules.conditions.compile import Compiled, compile_condition, validate
from floorwalker.rules.conditions.durations import parse_duration
from floorwalker.rules.conditions.errors import ConditionError, Problem

__all__ = ["Compiled", "ConditionError", "Problem", "compile_condition", "parse_duration",
           "validate"]
