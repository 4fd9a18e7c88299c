"""The golden-file compare: output pinned by a file under tests/golden/, rewritten on
purpose with UPDATE_GOLDEN=1 (then review the diff)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).parent / "golden"


def assert_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text)
    assert path.exists(), f"{path} missing: run with UPDATE_GOLDEN=1"
    assert text == path.read_text()


def golden_json(payload: Any) -> str:
    """A payload as its golden file holds it."""
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
