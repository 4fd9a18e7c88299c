#!/usr/bin/env bash
# Zero to a scheduled prediction-monitor job. Idempotent: every step creates what is
# missing and updates what exists, so re-running it is safe.
#
#   PROJECT_ID=my-project REGION=us-central1 SLACK_BOT_TOKEN=xoxb-... deploy/deploy.sh
#   (SLACK_SIGNING_SECRET=... too, for the Slack app: deploy/slack/README.md)
#
# Needs: gcloud (authenticated as someone who may create service accounts, IAM
# bindings, secrets, Cloud Run jobs and Cloud Scheduler jobs), Cloud Build enabled.
set -euo pipefail

: "${PROJECT_ID:?set PROJECT_ID}"
: "${REGION:=us-central1}"
: "${DATASET:=nba_predictions}"
: "${SCHEDULE:=15 * * * *}"          # hourly at :15, like alerts.yaml's schedule.cycle
: "${TIME_ZONE:=America/New_York}"
SA="prediction-monitor@${PROJECT_ID}.iam.gserviceaccount.com"
IMAGE="${REGION}-docker.pkg.dev/${PROJECT_ID}/prediction-monitor/prediction-monitor:$(git rev-parse --short HEAD)"
cd "$(dirname "$0")/.."

gcloud config set project "$PROJECT_ID" >/dev/null
gcloud services enable run.googleapis.com cloudscheduler.googleapis.com \
  secretmanager.googleapis.com monitoring.googleapis.com bigquery.googleapis.com \
  artifactregistry.googleapis.com cloudbuild.googleapis.com

# 1. Service account with least privilege.
gcloud iam service-accounts describe "$SA" >/dev/null 2>&1 ||
  gcloud iam service-accounts create prediction-monitor --display-name "prediction monitor"
for role in roles/bigquery.jobUser roles/monitoring.metricWriter; do
  gcloud projects add-iam-policy-binding "$PROJECT_ID" --member "serviceAccount:$SA" \
    --role "$role" --condition None >/dev/null
done
# Read the prediction dataset...
bq add-iam-policy-binding --member "serviceAccount:$SA" --role roles/bigquery.dataViewer \
  "${PROJECT_ID}:${DATASET}" >/dev/null
# ...and write only the monitor's own tables (create them first: schema apply).
for table in monitor_alert_events monitor_runs monitor_locks; do
  bq add-iam-policy-binding --member "serviceAccount:$SA" --role roles/bigquery.dataEditor \
    "${PROJECT_ID}:${DATASET}.${table}" >/dev/null
done

# 2. The Slack token in Secret Manager (a new version when SLACK_BOT_TOKEN is given).
gcloud secrets describe prediction-monitor-slack-token >/dev/null 2>&1 ||
  gcloud secrets create prediction-monitor-slack-token --replication-policy automatic
if [ -n "${SLACK_BOT_TOKEN:-}" ]; then
  printf '%s' "$SLACK_BOT_TOKEN" |
    gcloud secrets versions add prediction-monitor-slack-token --data-file=- >/dev/null
fi
gcloud secrets add-iam-policy-binding prediction-monitor-slack-token \
  --member "serviceAccount:$SA" --role roles/secretmanager.secretAccessor >/dev/null

# The Slack app's signing secret (serve's /slack/* routes; deploy/slack/README.md).
if [ -n "${SLACK_SIGNING_SECRET:-}" ]; then
  gcloud secrets describe prediction-monitor-slack-signing-secret >/dev/null 2>&1 ||
    gcloud secrets create prediction-monitor-slack-signing-secret --replication-policy automatic
  printf '%s' "$SLACK_SIGNING_SECRET" |
    gcloud secrets versions add prediction-monitor-slack-signing-secret --data-file=- >/dev/null
  gcloud secrets add-iam-policy-binding prediction-monitor-slack-signing-secret \
    --member "serviceAccount:$SA" --role roles/secretmanager.secretAccessor >/dev/null
fi

# 3. The image.
gcloud artifacts repositories describe prediction-monitor --location "$REGION" >/dev/null 2>&1 ||
  gcloud artifacts repositories create prediction-monitor --location "$REGION" \
    --repository-format docker
gcloud builds submit --tag "$IMAGE" .

# 4. The job (replace = create or update).
sed -e "s#PROJECT_ID#${PROJECT_ID}#g" -e "s#REGION#${REGION}#g" -e "s#IMAGE#${IMAGE}#g" \
  -e "s#/nba_predictions#/${DATASET}#g" deploy/cloud-run-job.yaml > /tmp/prediction-monitor-job.yaml
gcloud run jobs replace /tmp/prediction-monitor-job.yaml --region "$REGION"

# 5. The schedule: Cloud Scheduler runs the job through the Cloud Run Admin API.
gcloud projects add-iam-policy-binding "$PROJECT_ID" --member "serviceAccount:$SA" \
  --role roles/run.invoker --condition None >/dev/null
URI="https://run.googleapis.com/v2/projects/${PROJECT_ID}/locations/${REGION}/jobs/prediction-monitor:run"
if gcloud scheduler jobs describe prediction-monitor-cycle --location "$REGION" >/dev/null 2>&1; then
  verb=update
else
  verb=create
fi
gcloud scheduler jobs "$verb" http prediction-monitor-cycle --location "$REGION" \
  --schedule "$SCHEDULE" --time-zone "$TIME_ZONE" --uri "$URI" --http-method POST \
  --oauth-service-account-email "$SA"

# 6. Alert policies on the monitor's own metrics.
for policy in deploy/monitoring/*.json; do
  [ "$(basename "$policy")" = dashboard.json ] && continue  # a dashboard, not a policy
  name=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["displayName"])' "$policy")
  existing=$(gcloud alpha monitoring policies list --filter "displayName=\"$name\"" \
    --format 'value(name)')
  if [ -n "$existing" ]; then
    gcloud alpha monitoring policies update "$existing" --policy-from-file "$policy"
  else
    gcloud alpha monitoring policies create --policy-from-file "$policy"
  fi
done
# 7. The dashboard (generated by `prediction-monitor dashboard`), replaced when present.
dashboard=$(gcloud monitoring dashboards list --filter 'displayName="prediction-monitor"' \
  --format 'value(name)' | head -n 1)
if [ -n "$dashboard" ]; then
  gcloud monitoring dashboards update "$dashboard" \
    --config-from-file deploy/monitoring/dashboard.json
else
  gcloud monitoring dashboards create --config-from-file deploy/monitoring/dashboard.json
fi
echo "deployed: gcloud run jobs execute prediction-monitor --region $REGION   # try it now"
