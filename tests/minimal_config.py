"""The smallest valid alerts.yaml text, for tests that parse one: a rule on the
hit rate, and one on each of the card's other checks (a config needs them).
MINIMAL is the whole file; GOOD_RULE and CARD_RULES its two parts, for tests
that put something between them."""

GOOD_RULE = """\
rules:
  - name: hit_rate_low
    metric: hit_rate
    below: 0.55
    severity: critical
    group_by: [system_id, build_commit_sha]
"""


# One rule on each of the card's other checks: a config needs them to be valid.
CARD_RULES = """\
  - name: mismatch_high
    metric: mismatch_share
    above: 0.05
    severity: critical
    group_by: [system_id]
  - name: coverage_low
    metric: vegas_coverage
    drop_from_baseline: 0.1
    severity: warning
    group_by: [system_id]
"""

MINIMAL = GOOD_RULE + CARD_RULES
