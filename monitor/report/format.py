"""Text from the data made safe for a terminal. How a metric's numbers are written is
monitor/metrics/format.py's."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

# C0/C1 control characters (ANSI escapes, \r that overwrites a line, \b...) except
# tab and newline: text from the data must not drive the reader's terminal.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_AND_NEWLINE = re.compile(r"[\x00-\x08\n-\x1f\x7f-\x9f]")


def runbook_link(runbook_url: str, base_url: str | None) -> tuple[str, str | None]:
    """A rule's runbook as (text, url): an absolute `runbook_url` is its own link; a
    relative one (`runbooks.md#hit_rate_below_55`) is joined to `base_url`
    (`settings.runbook_base_url`, where a deployment serves docs/), and without a base
    it has no link: the renderers show the text alone."""
    if urlsplit(runbook_url).scheme:
        return runbook_url, runbook_url
    if base_url:
        joined = urljoin(base_url if base_url.endswith("/") else base_url + "/", runbook_url)
        return joined, joined
    return runbook_url, None


def terminal_safe(text: str, *, keep_newlines: bool = True) -> str:
    """`text` with control characters shown escaped (`\\x1b`, `\\r`), as markdown
    and HTML output already escape theirs."""
    pattern = _CONTROL if keep_newlines else _CONTROL_AND_NEWLINE
    return pattern.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
