"""alerts.yaml → typed, validated configuration. The one loader for every command.

Errors are collected (not stop-at-first) and each names the file, line and column.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic import Strict as StrictInput

from monitor.matchers import InhibitRule, Matcher, parse_matcher
from monitor.model import Severity
from monitor.yaml_lines import Location, YamlSyntaxError, load_with_locations, locate

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
MAX_DURATION = dt.timedelta(days=3650)
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: Any) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match:
            # A number past timedelta's range would overflow deep in pydantic, with no line.
            amount = dt.timedelta(**{_UNITS[match.group(2)]: min(int(match.group(1)),
                                                                 10**7)})
            if amount > MAX_DURATION:
                raise ValueError(f"duration {value!r} is longer than {MAX_DURATION.days} days")
            return amount
    raise ValueError(f"bad duration {value!r}: use a number and a unit, e.g. 30m, 4h, 1d")


def _positive(value: dt.timedelta) -> dt.timedelta:
    # 0s would repeat an alert every cycle or make a deadline that has always passed.
    if value <= dt.timedelta(0):
        raise ValueError("a duration must be positive, e.g. 30m, 4h, 1d")
    return value


Duration = Annotated[dt.timedelta, BeforeValidator(parse_duration), AfterValidator(_positive)]
# Numbers are numbers: YAML's true would pass as 1.0 and '0.55' as 0.55 in pydantic's lax
# mode, a threshold that looks configured and is not what was meant.
Number = Annotated[float, StrictInput()]
Count = Annotated[int, StrictInput()]


CALENDAR_TABLE = "game_schedule"


class Strict(BaseModel):
    # NaN compares false with everything: a NaN threshold would never fire.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Sentinels(Strict):
    """Values the broken worker wrote as defaults (seed, commit ea88e526). The older
    form of `critical_features`: read as its two equivalent entries."""

    has_vegas_line: Number = 0.0
    ppm_avg_last_10: Number = 0.4

    def as_features(self) -> list[CriticalFeature]:
        return [CriticalFeature(key="ppm_avg_last_10", sentinel=self.ppm_avg_last_10),
                CriticalFeature(key="has_vegas_line", sentinel=self.has_vegas_line,
                                when="line_present")]

    def rewrite_hint(self) -> str:
        """The `critical_features` block that says the same, for check-config."""
        return ("critical_features:\n"
                f"  - key: ppm_avg_last_10\n    sentinel: {self.ppm_avg_last_10!r}\n"
                f"  - key: has_vegas_line\n    sentinel: {self.has_vegas_line!r}\n"
                "    when: line_present")


class CriticalFeature(Strict):
    """A key of the critical_features JSON object the monitor counts per row: present,
    missing, wrong JSON type, at its sentinel, out of its range."""

    # Reaches SQL only as a JSONPath member name (monitor/warehouse/sql_dialect.py).
    key: str
    # The value a broken pipeline writes instead of data.
    sentinel: Number | None = None
    # line_present: only rows whose prediction has a Vegas line count for the sentinel.
    when: Literal["line_present"] | None = None
    range: tuple[Number, Number] | None = None

    @field_validator("key")
    @classmethod
    def _safe_key(cls, value: str) -> str:
        from monitor.warehouse.sql_dialect import is_safe_feature_key

        if not is_safe_feature_key(value):
            raise ValueError(f"{value!r} is not a safe JSON member name: use letters, digits "
                             "and _ (not starting with a digit, at most 128 characters)")
        return value

    @field_validator("sentinel", "range", mode="before")
    @classmethod
    def _numbers_not_booleans(cls, value: Any) -> Any:
        # YAML's true/false would pass as 1.0/0.0, while a JSON boolean in the data is
        # counted as the wrong type: the rule would look configured and never match.
        items = value if isinstance(value, list | tuple) else [value]
        if any(isinstance(v, bool) for v in items):
            raise ValueError("a number, not true/false (a JSON boolean in the data is "
                             "counted as the wrong type, never as a sentinel)")
        return value

    @field_validator("range")
    @classmethod
    def _ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] > value[1]:
            raise ValueError(f"range [{value[0]}, {value[1]}]: low is above high")
        return value


class Sequential(Strict):
    """CUSUM on MAE and hit rate per system and commit, against the commit it replaced."""

    false_alarm_rate: Number = Field(0.001, gt=0, lt=0.5)
    mae_shift: Number = Field(0.15, gt=0, le=2, description="relative MAE rise to detect")
    edge_loss: Number = Field(1.0, gt=0, le=1,
                             description="share of the edge over 50% a broken model loses")
    # No single game day adds more than this share of the threshold: one odd night
    # moves every prediction of a slate at once, and is not a drift on its own.
    max_day_share: Number = Field(0.6, gt=0, le=1)
    baseline_days: Count = Field(21, ge=3, le=90)
    min_baseline_graded: Count = Field(2000, ge=10)
    min_baseline_picks: Count = Field(800, ge=10, description="hit-rate baseline needs this")
    # Picks the baseline reaches back for (a week at a time, up to baseline_max_days):
    # the tests start a standard error of the baseline towards the alternative, and a
    # larger baseline costs less of that. It judges from min_baseline_picks.
    baseline_picks: Count = Field(1600, ge=10)
    serving_days: Count = Field(3, ge=1, le=30, description="graded in the last N game days")
    recent_days: Count = Field(10, ge=2, le=60, description="system-wide CUSUM window")
    history_days: Count = Field(60, ge=7, le=180)
    # Where `baseline_days` hold too few picks, the baseline reaches back over earlier
    # commits up to this many calendar days before the commit's first day.
    baseline_max_days: Count = Field(90, ge=3, le=180)


class PickAgreement(Strict):
    """The public record a pick is held against (checks/pick_agreement.py): a player's
    mean points over their last `reference_games` graded games, with at least
    `min_reference_games` of them in the `reference_days` before the slate."""

    reference_games: Count = Field(10, ge=1, le=82)
    min_reference_games: Count = Field(3, ge=1, le=82)
    reference_days: Count = Field(45, ge=1, le=365)

    @model_validator(mode="after")
    def _reachable(self) -> PickAgreement:
        if self.min_reference_games > self.reference_games:
            raise ValueError(f"min_reference_games ({self.min_reference_games}) above "
                             f"reference_games ({self.reference_games}): no player would "
                             "ever have a form")
        return self


class FreshnessSettings(Strict):
    # The first batch of a slate is due by this US/Eastern time on game day...
    expected_batch_by: dt.time = dt.time(11, 0)
    # ...or, when set and earlier, this long before the day's first tip-off (a 12:30 ET
    # Saturday slate is due earlier than a weeknight one). Needs the calendar.
    expected_batch_before_tipoff: Duration | None = None
    grading_lag_days: Count = Field(2, ge=1, le=7)
    # A game date's grading has settled (outcome checks judge it) once no new grade
    # landed for `grading_settle`, or at `grading_deadline` (US/Eastern) the next day.
    grading_settle: Duration = dt.timedelta(minutes=90)
    grading_deadline: dt.time = dt.time(14, 0)
    lookback_days: Count = Field(7, ge=1, le=30)


class Provenance(Strict):
    history_days: Count = Field(45, ge=2, le=180)
    recent_days: Count = Field(3, ge=1, le=30)
    # What changed with a commit (feature_shift): commits first seen on a system in the
    # last `shift_days` are compared, their first `shift_slate_days` game days against
    # the replaced commit's `shift_reference_days` game days before (and the same days).
    shift_days: Count = Field(14, ge=1, le=90)
    shift_slate_days: Count = Field(3, ge=1, le=30)
    shift_reference_days: Count = Field(7, ge=1, le=60)
    # Players on both sides below which the index is not judged: a PSI over deciles of
    # a few dozen players is mostly noise.
    shift_min_players: Count = Field(200, ge=10)


class Calendar(Strict):
    """The league calendar (`game_schedule` of the data contract), owned by the schedule
    scraper. `table` is a table of the monitored dataset, or `dataset.table`."""

    table: Annotated[str, Field(
        pattern=r"^([A-Za-z_][A-Za-z0-9_]*\.)?[A-Za-z_][A-Za-z0-9_]*$")] = CALENDAR_TABLE


class Settings(Strict):
    edge_threshold: Number = Field(3.0, gt=0, description="high edge: |predicted - line| >= this")
    hit_rate_windows_days: list[Annotated[Count, Field(ge=1, le=120)]] = [7, 28]
    coverage_baseline_days: Count = Field(7, ge=1, le=60)
    # The trailing days a slate's distance from the Vegas line is compared with, and the
    # lined predictions they must hold to be a baseline at all.
    edge_baseline_days: Count = Field(14, ge=2, le=60)
    edge_baseline_min_rows: Count = Field(200, ge=2)  # a spread needs two
    prediction_lookback_days: Count = Field(3, ge=0, le=30)
    execution_lookback_days: Count = Field(2, ge=0, le=30)
    # The older form of `critical_features` (see Sentinels); None when not given.
    sentinels: Sentinels | None = None
    sequential: Sequential = Sequential()
    pick_agreement: PickAgreement = PickAgreement()
    freshness: FreshnessSettings = FreshnessSettings()
    provenance: Provenance = Provenance()
    # Where this deployment serves docs/: a relative runbook_url is joined to it. None:
    # a relative runbook_url is shown as text, not a link.
    runbook_base_url: str | None = None
    # Where this deployment publishes the HTML report (`report`): an incident's message
    # links it. None: no link.
    report_url: str | None = None

    @field_validator("runbook_base_url", "report_url")
    @classmethod
    def _base_url(cls, value: str | None) -> str | None:
        if value is not None:
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc or any(
                    ch.isspace() for ch in value):
                raise ValueError(f"{value!r}: an absolute http(s) URL, e.g. the folder "
                                 "where this deployment serves docs/ or its report")
        return value


# A silence matcher on this name matches the alert's cause key, not a label.
INCIDENT_KEY = "incident_key"


class Resolve(Strict):
    announce: bool = True
    after_runs: Count = Field(2, ge=1, le=100)


class Silence(Strict):
    # Label values the alert must have; `incident_key` matches the alert's cause key
    # (`monitor.rules.state.cause_key`: `commit:<sha>`, or its incident_by labels).
    matchers: dict[str, str] = Field(min_length=1)
    expires_at: dt.datetime
    comment: str = ""

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: dt.datetime) -> dt.datetime:
        if value.tzinfo is None:
            raise ValueError("expires_at needs a time zone, e.g. 2026-02-01T00:00:00Z")
        return value

    def matches(self, labels: dict[str, str], now: dt.datetime,
                incident_key: str | None = None) -> bool:
        seen = labels if incident_key is None else {**labels, INCIDENT_KEY: incident_key}
        return now < self.expires_at and all(seen.get(k) == v for k, v in self.matchers.items())


class Rule(Strict):
    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    metric: str
    description: str = ""
    below: Number | None = None
    above: Number | None = None
    drop_from_baseline: Number | None = Field(None, gt=0)
    # interval: fire only when the whole interval is past the threshold (strong
    # evidence); point: the value alone decides (counts, deltas); sequence: fire only
    # when an anytime-valid confidence sequence for the rate (monitor/stats.py) is
    # wholly past it, so that looking every hour at the same alert identity keeps the
    # chance it ever fires on a safe rate under `alpha`.
    evidence: Literal["interval", "point", "sequence"] = "interval"
    # The `sequence` evidence's error rate over an alert identity's whole life.
    alpha: Number = Field(0.01, gt=0, lt=0.5)
    min_sample: Count = Field(0, ge=0)
    severity: Severity
    group_by: list[str] = Field(min_length=1)
    repeat_interval: Duration = dt.timedelta(hours=24)
    resolve: Resolve = Resolve()
    runbook_url: str | None = None
    silences: list[Silence] = []
    # Only observations whose labels have these values (e.g. {window: 7d}).
    only: dict[str, str] = {}
    # Not observations whose label has one of these values (e.g. features that have a
    # rule of their own: {feature: [ppm_avg_last_10]}).
    unless: dict[str, list[str]] = {}
    # Once its results clear, an alert keeps firing this long (wall time, from the first
    # clear result), so a gap in the evidence (a night's grading) neither resolves nor
    # re-pages it; it resolves when this has run out and resolve.after_runs clear runs
    # were seen.
    keep_firing_for: Duration | None = None
    # The labels that key this rule's incident when its alert names no commit
    # (default: system_id, else the rule's name).
    incident_by: list[str] | None = None

    def applies_to(self, labels: dict[str, str]) -> bool:
        return (all(labels.get(k) == v for k, v in self.only.items())
                and not any(labels.get(k) in v for k, v in self.unless.items()))

    @model_validator(mode="after")
    def _one_condition(self) -> Rule:
        conditions = ("below", "above", "drop_from_baseline")
        given = [c for c in conditions if getattr(self, c) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one condition: below, above or drop_from_baseline")
        return self

    @property
    def threshold(self) -> float:
        for value in (self.below, self.above, self.drop_from_baseline):
            if value is not None:
                return value
        raise AssertionError("validated rule has a condition")


# Rules every deployment has, on metrics of the checks (the cycle adds its own two).
CRITICAL_FEATURE_ABSENT_RULE = Rule(
    name="critical_feature_absent", metric="feature_absent",
    description="a configured critical feature that no row of any commit carried in the "
                "last 28 days: remove it from critical_features, or the worker stopped "
                "writing it",
    above=0, evidence="point", severity="warning", group_by=["feature"],
    repeat_interval=dt.timedelta(days=7), resolve=Resolve(announce=True, after_runs=1),
    runbook_url="runbooks.md#critical_feature_absent")
BUILT_IN_CHECK_RULES = (CRITICAL_FEATURE_ABSENT_RULE,)
# Every built-in rule's name: these and monitor/cycle.py's own two (a test keeps them
# equal to the cycle's BUILT_IN_RULES), for the inhibit matchers that name a rule.
BUILT_IN_RULE_NAMES = ("monitor_check_error", "monitor_no_data",
                       *(r.name for r in BUILT_IN_CHECK_RULES))


def _matcher(value: Any) -> Matcher:
    if isinstance(value, Matcher):
        return value
    if not isinstance(value, str):
        raise ValueError('a matcher is text, e.g. rule="hit_rate_below_55" or severity!=warning')
    return parse_matcher(value)


# Alertmanager's text form, validated at load; written back as that text.
MatcherText = Annotated[Matcher, PlainValidator(_matcher), PlainSerializer(str)]
LabelName = Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


class Inhibition(Strict):
    """One entry of `inhibit_rules:`, as Alertmanager's: while an alert matching every
    source matcher fires (silenced or not), an alert of the same incident matching
    every target matcher, with the same values of the `equal` labels, is inhibited.
    Matchers see an alert's labels plus `rule` and `severity`."""

    source_matchers: list[MatcherText] = Field(min_length=1)
    target_matchers: list[MatcherText] = Field(min_length=1)
    equal: list[LabelName] = []

    def rule(self) -> InhibitRule:
        return InhibitRule(tuple(self.source_matchers), tuple(self.target_matchers),
                           tuple(self.equal))


class IncidentSettings(Strict):
    """How an incident (monitor/rules/incidents.py) is told about in Slack."""

    # One reminder in the incident's thread per this long, while it fires and nobody
    # acknowledged it. (A rule's own repeat_interval no longer drives Slack.)
    repeat_interval: Duration = dt.timedelta(hours=24)
    # An incident whose key fires again this soon after it resolved is reopened in its
    # thread, not paged anew.
    reopen_within: Duration = dt.timedelta(hours=48)


class BigQuerySettings(Strict):
    location: str | None = None
    maximum_bytes_billed: Count = Field(20 * 1024**3, gt=0)
    job_timeout_seconds: Number = Field(120.0, gt=0)
    price_per_tib_usd: Number = Field(6.25, ge=0)
    # `run`/`serve` apply pending migrations of the monitor's tables themselves
    # (needs table-editing rights); otherwise they exit 2 asking for `schema apply`.
    auto_migrate: bool = False


class CloudMonitoringSettings(Strict):
    retry_deadline_seconds: Number = Field(20.0, gt=0, le=300)


class SlackSettings(Strict):
    # A 429's Retry-After is honoured up to this many seconds per message; past it the
    # message stays owed for the next run rather than stalling this one.
    max_retry_after_seconds: Number = Field(30.0, ge=0, le=600)


class SlackApp(Strict):
    """Who may acknowledge or silence alerts from Slack. Empty (the default): anyone
    who can see the alert, since Slack already limits the channel."""

    allowed_users: list[Annotated[str, Field(pattern=r"^[UW][A-Z0-9]{2,30}$")]] = []
    allowed_usergroup: Annotated[str, Field(pattern=r"^S[A-Z0-9]{2,30}$")] | None = None

    @property
    def restricted(self) -> bool:
        return bool(self.allowed_users or self.allowed_usergroup)


class Schedule(Strict):
    """Cron expressions (US/Eastern unless timezone says otherwise). Use day names."""

    cycle: str = "15 * * * *"
    validate_daily: str = "0 10 * * *"
    timezone: str = "America/New_York"
    misfire_grace_seconds: Count = Field(600, ge=1)

    @field_validator("cycle", "validate_daily")
    @classmethod
    def _cron(cls, value: str) -> str:
        fields = value.split()
        if len(fields) != 5:
            raise ValueError(f"{value!r}: a cron expression has 5 fields "
                             "(minute hour day month weekday)")
        if any(ch.isdigit() for ch in fields[4]):
            raise ValueError(f"{value!r}: name weekdays (mon-fri), not numbers: the scheduler "
                             "numbers weekdays from Monday = 0, unlike cron")
        return value

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}") from None
        return value


class MonitorConfig(Strict):
    version: Literal[1] = 1
    dataset: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] = "nba_predictions"
    settings: Settings = Settings()
    bigquery: BigQuerySettings = BigQuerySettings()
    cloud_monitoring: CloudMonitoringSettings = CloudMonitoringSettings()
    slack: SlackSettings = SlackSettings()
    slack_app: SlackApp = SlackApp()
    schedule: Schedule = Schedule()
    # None: no calendar, so the monitor cannot tell an off day from a missing slate.
    calendar: Calendar | None = None
    # None: the seed's two (or `settings.sentinels`, read as its equivalent entries).
    critical_features: list[CriticalFeature] | None = Field(None, min_length=1)
    rules: list[Rule] = []
    # Which alerts explain which (monitor.rules.inhibit.inhibit_rules_of), in file order.
    inhibit_rules: list[Inhibition] = []
    incident: IncidentSettings = IncidentSettings()

    @property
    def features(self) -> tuple[CriticalFeature, ...]:
        """The critical features every feature check and query counts, in config order."""
        if self.critical_features is not None:
            return tuple(self.critical_features)
        return tuple((self.settings.sentinels or Sentinels()).as_features())

    def table_names(self) -> dict[str, str]:
        """Contract table → configured name, where configuration renames one."""
        if self.calendar and self.calendar.table != CALENDAR_TABLE:
            return {CALENDAR_TABLE: self.calendar.table}
        return {}

    def rules_for(self, metrics: set[str]) -> list[Rule]:
        return [r for r in (*self.rules, *BUILT_IN_CHECK_RULES) if r.metric in metrics]


class ConfigError(ValueError):
    """All problems found in a config file, each with its location."""

    def __init__(self, problems: list[tuple[Location, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{loc}: {msg}" for loc, msg in problems))


def default_config_path() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (Path("alerts.yaml"), here.parent / "alerts.yaml", here / "_alerts.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("alerts.yaml not found; pass --config FILE")


# The card's checks: a config without a rule on each would call any date OK.
CARD_CHECKS = ("hit_rate_by_commit", "feature_defaults", "vegas_coverage_trend")


def load_config(path: Path | None = None) -> MonitorConfig:
    path = path or default_config_path()
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError([(Location(str(path), 1, 1), f"cannot read: {exc.strerror}")]) from exc
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError([(Location(str(path), line, column),
                            f"not UTF-8 text (byte 0x{raw[exc.start]:02x})")]) from None
    return parse_config(text, str(path))


def parse_config(text: str, filename: str) -> MonitorConfig:
    """Rules are validated against the metric registry (monitor/metrics/registry.py, a
    data module): the checks themselves are not imported."""
    from monitor.metrics.registry import judged_by_rules

    try:
        data, locations = load_with_locations(text, filename)
    except YamlSyntaxError as exc:
        raise ConfigError([(exc.location, exc.message)]) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError([(Location(filename, 1, 1), "top level must be a mapping")])
    problems: list[tuple[Location, str]] = []
    if "critical_features" in data and data["critical_features"] is None:
        # An empty block would quietly mean "the seed's two features".
        raise ConfigError([(locate(locations, ("critical_features",), filename, key=True),
                            "critical_features: empty; list at least one feature, or remove "
                            "the key for the seed's two")])
    try:
        config = MonitorConfig.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            path = tuple(err["loc"])
            unknown = err["type"] == "extra_forbidden"
            loc = locate(locations, path, filename, key=unknown)
            where = ".".join(str(p) for p in path) or "(top level)"
            msg = "unknown key" if unknown else err["msg"]
            problems.append((loc, f"{where}: {msg}"))
        raise ConfigError(problems) from None

    labels = {metric: frozenset(names) for metric, names in judged_by_rules().items()}
    metrics = frozenset(labels)
    seen: set[str] = set()
    for i, rule in enumerate(config.rules):
        if rule.name in seen:
            problems.append((locate(locations, ("rules", i, "name"), filename),
                             f"rules.{i}.name: duplicate rule name {rule.name!r}"))
        seen.add(rule.name)
        if rule.metric not in metrics:
            problems.append((locate(locations, ("rules", i, "metric"), filename),
                             f"rules.{i}.metric: unknown metric {rule.metric!r}; known: "
                             + ", ".join(sorted(metrics))))
            continue
        for j, label in enumerate(rule.group_by):
            if label not in labels[rule.metric]:
                problems.append((locate(locations, ("rules", i, "group_by", j), filename),
                                 f"rules.{i}.group_by: metric {rule.metric!r} has no label "
                                 f"{label!r}; it has: {', '.join(sorted(labels[rule.metric]))}"))
        for label in rule.only:
            if label not in labels[rule.metric]:
                problems.append((locate(locations, ("rules", i, "only", label), filename),
                                 f"rules.{i}.only: metric {rule.metric!r} has no label "
                                 f"{label!r}"))
        for label in rule.unless:
            if label not in labels[rule.metric]:
                problems.append((locate(locations, ("rules", i, "unless", label), filename),
                                 f"rules.{i}.unless: metric {rule.metric!r} has no label "
                                 f"{label!r}"))
        problems += _range_problems(i, rule, locations, filename)
    problems += _feature_problems(config, locations, filename)
    problems += _inhibit_problems(config, locations, filename)
    if not problems:
        # Reported once the rules that exist are valid: which check has no rule at all.
        problems += _card_problems(config, locations, filename)
    if problems:
        raise ConfigError(problems)
    return config


def _feature_problems(config: MonitorConfig, locations: dict[Any, Location],
                      filename: str) -> list[tuple[Location, str]]:
    """Critical features: one entry per key, one form of configuration, and rules that
    name a feature name a configured one."""
    out: list[tuple[Location, str]] = []
    if config.critical_features is not None and config.settings.sentinels is not None:
        out.append((locate(locations, ("settings", "sentinels"), filename, key=True),
                    "settings.sentinels: give critical_features or settings.sentinels, not "
                    "both (critical_features replaces it)"))
    seen: set[str] = set()
    for i, feature in enumerate(config.critical_features or ()):
        if feature.key in seen:
            out.append((locate(locations, ("critical_features", i, "key"), filename),
                        f"critical_features.{i}.key: duplicate key {feature.key!r}"))
        seen.add(feature.key)
    out += _features_rules_can_judge(config, locations, filename)
    keys = {f.key for f in config.features}
    for i, rule in enumerate(config.rules):
        named: list[tuple[tuple[str | int, ...], str]] = (
            [(("only", "feature"), rule.only["feature"])] if "feature" in rule.only else [])
        named += [(("unless", "feature", j), key)
                  for j, key in enumerate(rule.unless.get("feature", []))]
        for path, key in named:
            if key not in keys:
                out.append((locate(locations, ("rules", i, *path), filename),
                            f"rules.{i}.{path[0]}: {key!r} is not a configured critical "
                            f"feature; configured: {', '.join(sorted(keys))}"))
    return out


def _inhibit_problems(config: MonitorConfig, locations: dict[Any, Location],
                      filename: str) -> list[tuple[Location, str]]:
    """An inhibit matcher `rule="NAME"` names a rule that exists, and `severity=`/`!=`
    a severity: a typo there would inhibit nothing, quietly."""
    rules = [*(r.name for r in config.rules), *BUILT_IN_RULE_NAMES]
    out: list[tuple[Location, str]] = []
    for i, entry in enumerate(config.inhibit_rules):
        for side in ("source_matchers", "target_matchers"):
            for j, matcher in enumerate(getattr(entry, side)):
                where = f"inhibit_rules.{i}.{side}.{j}"
                loc = locate(locations, ("inhibit_rules", i, side, j), filename)
                if matcher.name == "rule" and matcher.op == "=" and matcher.value not in rules:
                    near = difflib.get_close_matches(matcher.value, rules, n=1)
                    out.append((loc, f"{where}: no rule is named {matcher.value!r}"
                                     + (f" (did you mean {near[0]!r}?)" if near else "")))
                if matcher.name == "severity" and matcher.op in ("=", "!=") \
                        and matcher.value not in get_args(Severity):
                    out.append((loc, f"{where}: {matcher.value!r} is not a severity; "
                                     f"severities: {', '.join(get_args(Severity))}"))
    return out


def _features_rules_can_judge(config: MonitorConfig, locations: dict[Any, Location],
                              filename: str) -> list[tuple[Location, str]]:
    """A feature rule whose feature lacks what its metric counts would read 0% forever
    (or, for the line/flag mismatch without `when: line_present`, count rows where 0.0
    is the right value): a configuration error, never a rule that quietly cannot fire."""
    from monitor.metrics.registry import SEED_METRICS

    out: list[tuple[Location, str]] = []
    by_key = {f.key: (i, f) for i, f in enumerate(config.critical_features or ())}
    for key, metric in SEED_METRICS.items():
        if metric == "mismatch_share" and key in by_key:
            i, feature = by_key[key]
            if feature.sentinel is not None and feature.when != "line_present":
                out.append((locate(locations, ("critical_features", i), filename),
                            f"critical_features.{i}: {key} with a sentinel is the line/flag "
                            f"mismatch ({metric}): it needs `when: line_present` (without a "
                            f"line, {feature.sentinel:g} is the right value)"))
    features = {f.key: f for f in config.features}
    needs = {"sentinel_share": "sentinel", "out_of_range_share": "range"}
    for i, rule in enumerate(config.rules):
        where = locate(locations, ("rules", i, "metric"), filename)
        seed_key = {m: k for k, m in SEED_METRICS.items()}.get(rule.metric)
        if seed_key is not None and (seed_key not in features
                                     or features[seed_key].sentinel is None):
            out.append((where, f"rules.{i}.metric: {rule.metric} counts {seed_key} at its "
                               f"sentinel, and no critical feature {seed_key} with a "
                               "sentinel is configured: the rule could never fire"))
        # A rule for one feature (`only: {feature: K}`); a general rule covers whichever
        # configured features carry what it counts, and may idle.
        named = rule.only.get("feature")
        if rule.metric in needs and named in features:
            attr = needs[rule.metric]
            if getattr(features[named], attr) is None:
                out.append((where, f"rules.{i}.metric: {rule.metric} needs a {attr}, and "
                                   f"critical feature {named!r} has none: the rule could "
                                   "never fire"))
    return out


def _range_problems(i: int, rule: Rule, locations: dict[Any, Location],
                    filename: str) -> list[tuple[Location, str]]:
    from monitor.metrics.registry import BY_NAME

    bounds = BY_NAME[rule.metric].bounds
    low, high = bounds or (-math.inf, math.inf)
    out: list[tuple[Location, str]] = []
    for name in ("below", "above"):
        value = getattr(rule, name)
        if value is not None and not low <= value <= high:
            out.append((locate(locations, ("rules", i, name), filename),
                        f"rules.{i}.{name}: {value} is out of range for {rule.metric!r} "
                        f"(a rate: {low:g} to {high:g})"))
    if rule.drop_from_baseline is not None and bounds is not None \
            and rule.drop_from_baseline > high - low:
        out.append((locate(locations, ("rules", i, "drop_from_baseline"), filename),
                    f"rules.{i}.drop_from_baseline: {rule.drop_from_baseline} is more than "
                    f"{rule.metric!r} can drop"))
    return out


def _card_problems(config: MonitorConfig, locations: dict[Any, Location],
                   filename: str) -> list[tuple[Location, str]]:
    """A card check with no rule, or only rules that can never match (`only:` a value
    its label never takes, `unless:` every value it takes): its failures would read ok
    ("no rule applies")."""
    from monitor.metrics.registry import check_metrics

    metrics = {name: set(check_metrics(name)) for name in CARD_CHECKS}
    where = locate(locations, ("rules",), filename, key=True)
    out: list[tuple[Location, str]] = []
    for name in CARD_CHECKS:
        # The configured rules: a built-in one (critical_feature_absent) is no card rule.
        rules = [r for r in config.rules if r.metric in metrics[name]]
        if not rules:
            out.append((where, f"rules: no rule on the {name!r} check (metrics: "
                               f"{', '.join(sorted(metrics[name]))}); without one its "
                               "failures would pass as ok"))
            continue
        idle = [(config.rules.index(r), never) for r in rules
                if (never := never_matches(r, config)) is not None]
        if len(idle) < len(rules):
            continue
        for i, (path, why) in idle:
            out.append((locate(locations, ("rules", i, *path), filename, key=True),
                        f"rules.{i}.{'.'.join(str(p) for p in path)}: {why}, so the rule "
                        f"can never match; no other rule on the {name!r} check can, and "
                        "its failures would pass as ok"))
    return out


def label_values(metric: str, label: str, config: MonitorConfig) -> frozenset[str] | None:
    """Every value `label` takes on `metric`'s observations when configuration alone
    decides them (the hit-rate windows, the critical features); None when the data
    does (systems, commits, dates)."""
    if label == "window":  # and each commit's all-graded-picks series (hit_rate_by_commit)
        return frozenset({*(f"{days}d" for days in config.settings.hit_rate_windows_days),
                          "commit"})
    if label == "feature":
        need = {"sentinel_share": "sentinel", "out_of_range_share": "range"}.get(metric)
        return frozenset(f.key for f in config.features
                         if need is None or getattr(f, need) is not None)
    return None


def never_matches(rule: Rule, config: MonitorConfig) -> tuple[tuple[str, str], str] | None:
    """(path of the `only`/`unless` entry, why) when the rule can match no observation
    of its metric; None when it can, or when the data decides."""
    for label, value in rule.only.items():
        values = label_values(rule.metric, label, config)
        if values is not None and value not in values:
            return ("only", label), (f"{label} is never {value!r} on {rule.metric} (it is "
                                     f"{_listed(values) or 'never set'})")
    for label, excluded in rule.unless.items():
        values = label_values(rule.metric, label, config)
        if values is not None and values <= set(excluded):
            return ("unless", label), (f"{label} takes no value on {rule.metric} outside "
                                       f"{_listed(excluded)}")
    return None


def _listed(values: Iterable[str]) -> str:
    """Values in a readable order: 7d before 28d."""
    return ", ".join(sorted(set(values), key=lambda v: (len(v), v)))
