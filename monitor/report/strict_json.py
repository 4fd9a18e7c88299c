"""JSON that every strict parser accepts. Python's json writes NaN and Infinity as
bare words (not JSON); a number that is not finite is not a measurement, so it is
written as null, never as a value a reader could trust."""

from __future__ import annotations

import json
import math
from typing import Any


def finite(value: Any) -> Any:
    """`value` with every NaN or infinite float (at any depth) replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def dumps(value: Any, **kwargs: Any) -> str:
    """json.dumps that refuses to write NaN/Infinity: a document holding one is written
    again with them as null."""
    try:
        # Most documents hold none: copying one first cost validate-daily's JSON
        # output on a big warehouse a tenth of a second for nothing.
        return json.dumps(value, allow_nan=False, default=str, **kwargs)
    except ValueError:
        return json.dumps(finite(value), allow_nan=False, default=str, **kwargs)
