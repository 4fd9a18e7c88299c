"""Alertmanager's matchers and inhibit rules as plain values: `name op "value"` with op
one of `=`, `!=`, `=~`, `!~`; regular expressions match the whole value (Alertmanager
anchors them too). Pure and below the config, which validates `inhibit_rules:` into
these at load; the inhibition itself (which alert inhibits which) is
`monitor.rules.inhibit`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Op = Literal["=", "!=", "=~", "!~"]
# The value is "quoted" (any text, \" for a quote) or bare (no quote, =, ~, ! or space).
_MATCHER = re.compile(
    r'^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|[^"=~!\s]*)\s*$')


@dataclass(frozen=True)
class Matcher:
    name: str
    op: Op
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        # A label the alert lacks reads as "", as in Alertmanager.
        have = labels.get(self.name, "")
        if self.op == "=":
            return have == self.value
        if self.op == "!=":
            return have != self.value
        hit = re.fullmatch(self.value, have) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        # Escaped as parse_matcher reads it back: \\ and \".
        value = self.value.replace("\\", "\\\\").replace('"', '\\"')
        return f'{self.name}{self.op}"{value}"'


def parse_matcher(text: str) -> Matcher:
    """`rule="hit_rate_below_55"`, `severity!=warning`, `rule=~"a|b"`. Raises ValueError."""
    found = _MATCHER.match(text)
    if not found:
        raise ValueError(f"{text!r} is not a matcher: write name=\"value\" (or !=, =~, !~)")
    name, op, value = found.groups()
    if value.startswith('"'):
        value = re.sub(r'\\(.)', r"\1", value[1:-1])
    if op in ("=~", "!~"):
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"{text!r}: bad regular expression: {exc}") from None
    return Matcher(name, op, value)  # type: ignore[arg-type]  # op is one of the four


@dataclass(frozen=True)
class InhibitRule:
    source_matchers: tuple[Matcher, ...]
    target_matchers: tuple[Matcher, ...]
    # Labels that must have the same value on source and target (both missing counts).
    equal: tuple[str, ...] = ()

    def inhibits(self, source: Mapping[str, str], target: Mapping[str, str]) -> bool:
        return (all(m.matches(source) for m in self.source_matchers)
                and all(m.matches(target) for m in self.target_matchers)
                and all(source.get(k, "") == target.get(k, "") for k in self.equal))
