"""The one interface every metrics exporter implements."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from monitor.metrics.points import MetricPoint


@dataclass
class MetricWriteResult:
    written: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


class MetricSink(Protocol):
    name: str

    def write(self, points: Sequence[MetricPoint], at: dt.datetime) -> MetricWriteResult:
        """Export one cycle's points at time `at`. Never raises for export failures."""
        ...
