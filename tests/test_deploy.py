"""deploy/: the script parses, and run against stand-ins for gcloud, bq and git (which
record every call) it deploys the job, the `serve` service, the topic, the push
subscription with its OIDC identity and the invoker binding — and exactly one runner
of the hourly cycle."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml

from monitor.events.push import PATH

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy" / "deploy.sh"
SERVICE_YAML = ROOT / "deploy" / "cloud-run-service.yaml"
PROJECT_NUMBER = "123456789"

# Records its arguments; `describe` of anything but the project says "not found",
# unless the thing is listed in $EXISTING; a replace keeps a copy of the file it got.
GCLOUD = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$CALLS/gcloud"
case "$*" in
  "projects describe"*) echo "$PROJECT_NUMBER"; exit 0 ;;
  *" replace "*) cp "${@: -3:1}" "$CALLS/$(basename "${@: -3:1}")" ;;
  *describe*)
    for thing in $EXISTING; do
      case "$*" in *"$thing"*) exit 0 ;; esac
    done
    exit 1 ;;
esac
exit 0
"""
STUB = """#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$CALLS/$(basename "$0")"
[ "$(basename "$0")" = git ] && echo abc1234
exit 0
"""


def deploy(tmp_path: Path, **env: str) -> tuple[subprocess.CompletedProcess[str], Path]:
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    calls.mkdir()
    (bin_dir / "gcloud").write_text(GCLOUD)
    for name in ("bq", "git"):
        (bin_dir / name).write_text(STUB)
    for stub in bin_dir.iterdir():
        stub.chmod(0o755)
    run_env = {"PATH": f"{bin_dir}:{os.environ['PATH']}", "CALLS": str(calls),
               "PROJECT_NUMBER": PROJECT_NUMBER, "PROJECT_ID": "test-project",
               "REGION": "us-central1", "HOME": str(tmp_path), **env}
    proc = subprocess.run(["bash", str(DEPLOY)], env=run_env, capture_output=True, text=True,
                          timeout=120)
    return proc, calls


def called(calls: Path, *words: str) -> list[str]:
    lines = (calls / "gcloud").read_text().splitlines()
    return [line for line in lines if all(w in line for w in words)]


def test_the_script_parses() -> None:
    subprocess.run(["bash", "-n", str(DEPLOY)], check=True)


def test_the_service_runs_serve_always_on_with_one_instance_and_its_push_settings() -> None:
    doc = yaml.safe_load(SERVICE_YAML.read_text())
    assert doc["kind"] == "Service" and doc["metadata"]["name"] == "prediction-monitor"
    template = doc["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert annotations["run.googleapis.com/cpu-throttling"] == "false"  # CPU always on
    assert annotations["autoscaling.knative.dev/minScale"] == "1"
    assert annotations["autoscaling.knative.dev/maxScale"] == "1"
    assert template["spec"]["timeoutSeconds"] >= 600  # the subscription's ack deadline
    container, = template["spec"]["containers"]
    assert container["args"] == ["serve"]
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    env = {e["name"]: e.get("value", e.get("valueFrom")) for e in container["env"]}
    assert env["MONITOR_HOURLY_CYCLE"] == "CYCLE_RUNNER"
    assert env["MONITOR_PUSH_AUDIENCE"] == "SERVICE_URL"
    assert env["MONITOR_PUSH_SERVICE_ACCOUNT"] == \
        "prediction-monitor-push@PROJECT_ID.iam.gserviceaccount.com"
    assert env["SLACK_BOT_TOKEN"] == {"secretKeyRef": {"name": "prediction-monitor-slack-token",
                                                       "key": "latest"}}
    job = yaml.safe_load((ROOT / "deploy" / "cloud-run-job.yaml").read_text())
    job_env = job["spec"]["template"]["spec"]["template"]["spec"]["containers"][0]["env"]
    shared = {"MONITOR_WAREHOUSE", "GOOGLE_CLOUD_PROJECT", "MONITOR_LOCATION", "SLACK_CHANNEL",
              "SLACK_BOT_TOKEN"}
    assert shared <= {e["name"] for e in job_env} and shared <= set(env)


def test_by_default_the_job_runs_the_hourly_cycle_and_the_service_takes_pushes(
        tmp_path: Path) -> None:
    proc, calls = deploy(tmp_path)
    assert proc.returncode == 0, proc.stderr
    url = f"https://prediction-monitor-{PROJECT_NUMBER}.us-central1.run.app"
    service = yaml.safe_load((calls / "cloud-run-service.yaml").read_text())
    container = service["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["MONITOR_HOURLY_CYCLE"] == "job"
    assert env["MONITOR_PUSH_AUDIENCE"] == url
    assert env["MONITOR_PUSH_SERVICE_ACCOUNT"] == \
        "prediction-monitor-push@test-project.iam.gserviceaccount.com"
    assert env["MONITOR_WAREHOUSE"] == "bigquery://test-project/nba_predictions"
    assert container["image"].endswith("/prediction-monitor:abc1234")
    assert (calls / "cloud-run-job.yaml").exists()
    assert called(calls, "scheduler jobs create http prediction-monitor-cycle")
    assert not called(calls, "scheduler jobs delete")
    # The topic, the push subscription with its OIDC identity, the invoker binding.
    assert called(calls, "pubsub topics create prediction-batches")
    sub, = called(calls, "pubsub subscriptions create prediction-monitor-push")
    assert f"--push-endpoint {url}{PATH}" in sub
    assert "--push-auth-service-account prediction-monitor-push@test-project" in sub
    assert f"--push-auth-token-audience {url}" in sub
    assert "--topic prediction-batches" in sub and "--ack-deadline 600" in sub
    assert called(calls, "run services add-iam-policy-binding prediction-monitor",
                  "serviceAccount:prediction-monitor-push@", "roles/run.invoker")
    assert called(calls, "service-accounts add-iam-policy-binding prediction-monitor-push@",
                  f"service-{PROJECT_NUMBER}@gcp-sa-pubsub", "serviceAccountTokenCreator")
    # Authenticated callers only: nothing makes the service public.
    assert not called(calls, "allow-unauthenticated")
    assert not [c for c in called(calls, "allUsers") if "remove-iam-policy-binding" not in c]
    assert "MONITOR_BATCH_TOPIC=projects/test-project/topics/prediction-batches" in proc.stdout


def test_with_the_service_running_the_hourly_cycle_the_trigger_goes_away(
        tmp_path: Path) -> None:
    existing = "prediction-monitor-cycle prediction-monitor-push prediction-batches"
    proc, calls = deploy(tmp_path, HOURLY_CYCLE="service", EXISTING=existing,
                         WORKER_SA="worker@test-project.iam.gserviceaccount.com")
    assert proc.returncode == 0, proc.stderr
    text = (calls / "cloud-run-service.yaml").read_text()
    env = {e["name"]: e.get("value") for e in yaml.safe_load(text)["spec"]["template"]["spec"][
        "containers"][0]["env"]}
    assert env["MONITOR_HOURLY_CYCLE"] == "service"
    assert called(calls, "scheduler jobs delete prediction-monitor-cycle")
    assert not called(calls, "scheduler jobs create") and not called(calls, "scheduler jobs update")
    # What exists is updated, not created again.
    assert called(calls, "pubsub subscriptions update prediction-monitor-push")
    assert not called(calls, "pubsub subscriptions create")
    assert not called(calls, "pubsub topics create")
    assert called(calls, "pubsub topics add-iam-policy-binding prediction-batches",
                  "serviceAccount:worker@test-project", "roles/pubsub.publisher")


@pytest.mark.parametrize("value", ["both", "Service", ""])
def test_a_bad_hourly_cycle_setting_stops_before_anything_is_deployed(
        tmp_path: Path, value: str) -> None:
    proc, calls = deploy(tmp_path, HOURLY_CYCLE=value)
    if value == "":
        assert proc.returncode == 0  # empty: the default (job)
        return
    assert proc.returncode == 2
    assert "HOURLY_CYCLE must be job or service" in proc.stderr
    assert not (calls / "gcloud").exists()
