"""Every command, option and environment variable the code knows is in the README."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from monitor.cli import build_parser

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def commands() -> list[tuple[str, argparse.ArgumentParser]]:
    out: list[tuple[str, argparse.ArgumentParser]] = []

    def walk(prefix: str, parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    out.append((f"{prefix} {name}".strip(), sub))
                    walk(f"{prefix} {name}".strip(), sub)

    walk("", build_parser())
    return out


@pytest.mark.parametrize("name, parser", commands(), ids=[c[0] for c in commands()])
def test_command_and_its_options_are_documented(name: str,
                                                parser: argparse.ArgumentParser) -> None:
    assert f"prediction-monitor {name}" in README, f"add `prediction-monitor {name}` to README"
    if any(isinstance(a, argparse._SubParsersAction) for a in parser._actions):
        return
    for action in parser._actions:
        for flag in action.option_strings:
            if flag.startswith("--") and flag != "--help":
                assert flag in README, f"document {flag} of `{name}` in the README"


def test_every_environment_variable_is_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "monitor").rglob("*.py"))
    names = set(re.findall(r"""env(?:iron)?(?:\.get)?\(?\[?\s*["']([A-Z][A-Z0-9_]+)["']""",
                           source))
    provenance = r"""_env_value\(\s*[^,]+,\s*["']([A-Z_]+)["'](?:,\s*["']([A-Z_]+)["'])?"""
    names |= {n for pair in re.findall(provenance, source) for n in pair}
    names.discard("")
    assert len(names) > 10
    missing = sorted(n for n in names if f"`{n}`" not in README)
    assert missing == [], f"document these environment variables in the README: {missing}"
