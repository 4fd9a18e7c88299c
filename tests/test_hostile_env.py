"""Bad settings and hostile values outside alerts.yaml: a warehouse path with a typo,
Slack settings that cannot work, secrets with CR/LF or spaces inside, passwords in
URLs, terminal control characters in the data, errors on Cloud Run."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.logs import CloudLoggingFormatter
from monitor.secrets import RedactingFilter, Secret, redact
from tests.contract import ContractDB, D, features, ts

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "prediction-monitor"
T0 = ts(D, 16)
TOKEN_CRLF = "xoxb-1111-TOKENSECRET789\r\n"
WEBHOOK_SPACE = "https://hooks.slack.com/services/T0/B0/HOOKSECRET 321"


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "CLOUD_RUN", "K_", "GOOGLE_CLOUD", "MONITOR_"))}
    return {**env, **extra}


@pytest.fixture
def no_slack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    for key in [k for k in os.environ if k.startswith(("SLACK_", "CLOUD_RUN", "K_",
                                                       "GOOGLE_CLOUD", "MONITOR_"))]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("MONITOR_METRICS_DIR", str(tmp_path / "metrics"))
    return monkeypatch


# --- a warehouse path that does not exist -----------------------------------------

@pytest.mark.parametrize("relative", ["typo/x.duckdb", "x.duckdb"])
def test_run_on_a_missing_warehouse_is_an_error_and_creates_nothing(
        tmp_path: Path, no_slack: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        relative: str) -> None:
    path = tmp_path / relative
    code = main(["run", "--warehouse", f"duckdb:///{path}", "--as-of", T0.isoformat(),
                 "--config", str(ROOT / "alerts.yaml")])
    assert code == 2
    assert not path.exists() and not path.parent.joinpath("x.duckdb.wal").exists()
    err = capsys.readouterr().err
    assert f"{path} does not exist" in err and "--create" in err


def test_run_with_create_makes_the_warehouse(tmp_path: Path,
                                             no_slack: pytest.MonkeyPatch) -> None:
    path = tmp_path / "new.duckdb"
    assert main(["run", "--warehouse", f"duckdb:///{path}", "--as-of", T0.isoformat(),
                 "--create", "--config", str(ROOT / "alerts.yaml")]) == 0
    assert path.exists()


# --- check-config checks the environment ------------------------------------------

@pytest.mark.parametrize(("env", "says"), [
    ({"SLACK_BOT_TOKEN": "xoxb-1-TOKENSECRET789"}, "SLACK_CHANNEL is not"),
    ({"SLACK_BOT_TOKEN": TOKEN_CRLF, "SLACK_CHANNEL": "#c"}, "control character"),
    ({"SLACK_WEBHOOK_URL": "hooks.slack.com/services/HOOKSECRET321"}, "not an http(s) URL"),
    ({"SLACK_WEBHOOK_URL": WEBHOOK_SPACE}, "whitespace"),
    ({"SLACK_WEBHOOK_URL": "https://hooks.slack.com:99999/services/HOOKSECRET321"},
     "not an http(s) URL"),
    ({"MONITOR_WAREHOUSE": "duckdb:///nowhere/at/all.duckdb"}, "does not exist"),
    ({"MONITOR_WAREHOUSE": "bigquery://only-a-project"}, "bigquery://PROJECT/DATASET"),
    ({"MONITOR_WAREHOUSE": "postgres://monitor:PASSWORDSECRET@db.internal/x"},
     "unknown warehouse URL"),
])
def test_check_config_checks_the_environment_and_never_prints_a_secret(
        env: dict[str, str], says: str) -> None:
    proc = subprocess.run([str(BIN), "check-config", "--config", str(ROOT / "alerts.yaml")],
                          env=clean_env(**env), capture_output=True, text=True, timeout=60,
                          check=False)
    assert proc.returncode == 2
    assert says in proc.stderr
    assert "Traceback" not in proc.stderr
    for secret in ("TOKENSECRET789", "HOOKSECRET", "PASSWORDSECRET"):
        assert secret not in proc.stdout + proc.stderr


def test_check_config_passes_with_good_settings() -> None:
    proc = subprocess.run([str(BIN), "check-config"],
                          env=clean_env(SLACK_BOT_TOKEN="xoxb-1-TOKENSECRET789",
                                        SLACK_CHANNEL="#alerts"),
                          capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "TOKENSECRET789" not in proc.stdout + proc.stderr


def test_serve_with_bad_slack_settings_exits_2_with_one_line() -> None:
    proc = subprocess.run([str(BIN), "serve", "--port", "0", "--config",
                           str(ROOT / "alerts.yaml")],
                          env=clean_env(SLACK_BOT_TOKEN=TOKEN_CRLF), capture_output=True,
                          text=True, timeout=60, check=False)
    assert proc.returncode == 2
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SLACK_CHANNEL" in lines[0]
    assert "TOKENSECRET789" not in proc.stdout + proc.stderr


# --- secrets whatever their content ------------------------------------------------

@pytest.mark.parametrize("cloud_run", [False, True])
@pytest.mark.parametrize("env", [
    {"SLACK_BOT_TOKEN": TOKEN_CRLF, "SLACK_CHANNEL": "#c"},
    {"SLACK_WEBHOOK_URL": WEBHOOK_SPACE},
    {"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T0/B0/HOOKSECRET\r\n"},
])
def test_run_never_prints_a_secret_with_cr_lf_or_space_inside(
        tmp_path: Path, env: dict[str, str], cloud_run: bool) -> None:
    db = ContractDB(tmp_path / "w.duckdb")
    for _ in range(40):
        db.prediction(line=21.5, cf=features(None, has=0.0), predicted_at=ts(D, 12))
    db.close()
    extra = {"K_SERVICE": "prediction-monitor"} if cloud_run else {}
    proc = subprocess.run([str(BIN), "run", "--warehouse", db.url, "--as-of", T0.isoformat()],
                          env=clean_env(**env, **extra,
                                        MONITOR_METRICS_DIR=str(tmp_path / "m")),
                          capture_output=True, text=True, timeout=120, check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 2
    assert "whitespace or a control character" in output
    for secret in ("TOKENSECRET789", "HOOKSECRET"):
        assert secret not in output
    if cloud_run:
        assert all(json.loads(line)["severity"] for line in output.splitlines() if line)


def test_redaction_covers_escaped_forms_and_url_passwords() -> None:
    Secret("xoxb-2222-ESCAPEDSECRET\r\n")
    header = repr(b"Bearer xoxb-2222-ESCAPEDSECRET\r\n")  # how http.client complains
    assert "ESCAPEDSECRET" not in redact(f"Invalid header value {header}")
    Secret("https://hooks.slack.com/services/T9/B9/PATHSECRET99\n")
    url_error = "URL can't contain control characters. '/services/T9/B9/PATHSECRET99\\n'"
    assert "PATHSECRET99" not in redact(url_error)
    assert redact("postgres://u:hunter2@h/db and mysql://root:pw@127.0.0.1:3306/x") == \
        "postgres://u:<secret>@h/db and mysql://root:<secret>@127.0.0.1:3306/x"
    assert redact("http://127.0.0.1:8080/api/") == "http://127.0.0.1:8080/api/"


def test_json_log_lines_never_carry_a_secret_with_newlines() -> None:
    Secret("xoxb-3333-JSONSECRET\r\n")
    record = logging.LogRecord("monitor", logging.ERROR, __file__, 1,
                               "failed: %s", ("token xoxb-3333-JSONSECRET\r\n was refused",),
                               None)
    assert RedactingFilter().filter(record)
    line = CloudLoggingFormatter().format(record)
    assert "JSONSECRET" not in line and json.loads(line)["severity"] == "ERROR"


def test_a_password_in_a_warehouse_url_is_never_echoed(
        no_slack: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["run", "--warehouse", "postgres://monitor:PASSWORDSECRET@db/x",
                 "--config", str(ROOT / "alerts.yaml")])
    assert code == 2
    out = capsys.readouterr()
    assert "unknown warehouse URL" in out.err
    assert "PASSWORDSECRET" not in out.out + out.err


# --- terminals ----------------------------------------------------------------------

def test_control_characters_from_the_data_are_escaped_in_text_output(
        db: ContractDB, capsys: pytest.CaptureFixture[str]) -> None:
    for _ in range(40):
        db.prediction(commit="\x1b[2J\x1b[31mevil\rok", line=21.5, cf=features(None, has=0.0))
    db.close()
    code = main(["validate-daily", "--warehouse", db.url, "--date", D.isoformat()])
    out = capsys.readouterr().out
    assert code == 1
    assert "\x1b" not in out and "\r" not in out
    assert "\\x1b[2J\\x1b[31mevil\\rok" in out


# --- Cloud Run: errors are JSON log lines too ----------------------------------------

@pytest.mark.parametrize("args", [
    ["check-config", "--config", "{missing}/alerts.yaml"],
    ["validate-daily", "--warehouse", "duckdb:///{missing}/w.duckdb"],
    ["run", "--warehouse", "duckdb:///{missing}/w.duckdb"],
])
def test_on_cloud_run_config_and_warehouse_errors_are_json_lines(
        tmp_path: Path, args: list[str]) -> None:
    args = [a.format(missing=tmp_path / "missing") for a in args]
    env = clean_env(CLOUD_RUN_JOB="prediction-monitor", CLOUD_RUN_EXECUTION="pm-1",
                    MONITOR_METRICS_DIR=str(tmp_path / "m"))
    proc = subprocess.run([str(BIN), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False, cwd=ROOT)
    assert proc.returncode == 2
    assert proc.stderr.strip() == ""
    entries = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    errors = [e for e in entries if e["severity"] == "ERROR"]
    assert errors and any("error" in e["message"] for e in errors)
