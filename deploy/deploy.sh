#!/usr/bin/env bash
# Zero to a deployed prediction-monitor: the job, the `serve` service, the Pub/Sub topic
# and push subscription of batch events. Idempotent: every step creates what is
# missing and updates what exists, so re-running it is safe.
#
#   PROJECT_ID=my-project REGION=us-central1 SLACK_BOT_TOKEN=xoxb-... deploy/deploy.sh
#   (SLACK_SIGNING_SECRET=... too, for the Slack app: deploy/slack/README.md;
#    HOURLY_CYCLE=service to let the service run the hourly cycle instead of the job;
#    WORKER_SA=... to let the prediction worker's account publish batch events)
#
# Needs: gcloud (authenticated as someone who may create service accounts, IAM
# bindings, secrets, Cloud Run jobs and services, Pub/Sub topics and subscriptions and
# Cloud Scheduler jobs), Cloud Build enabled.
set -euo pipefail

: "${PROJECT_ID:?set PROJECT_ID}"
: "${REGION:=us-central1}"
: "${DATASET:=nba_predictions}"
: "${SCHEDULE:=15 * * * *}"          # hourly at :15, like the default schedule.cycle
: "${TIME_ZONE:=America/New_York}"
# Who runs the hourly cycle — exactly one of: job (Cloud Scheduler executes the Cloud
# Run job) or service (`serve` schedules it; the Cloud Scheduler trigger is removed).
: "${HOURLY_CYCLE:=job}"
: "${TOPIC:=prediction-batches}"     # batch events: the worker publishes, serve is pushed
case "$HOURLY_CYCLE" in
  job | service) ;;
  *) echo "HOURLY_CYCLE must be job or service, not '$HOURLY_CYCLE'" >&2; exit 2 ;;
esac
SA="prediction-monitor@${PROJECT_ID}.iam.gserviceaccount.com"
# The push subscription's identity: Pub/Sub signs each push's OIDC token as this account,
# the only one (besides operators) allowed to invoke the service.
PUSH_SA="prediction-monitor-push@${PROJECT_ID}.iam.gserviceaccount.com"
IMAGE="${REGION}-docker.pkg.dev/${PROJECT_ID}/prediction-monitor/prediction-monitor:$(git rev-parse --short HEAD)"
cd "$(dirname "$0")/.."
rendered=$(mktemp -d)
trap 'rm -rf "$rendered"' EXIT

gcloud config set project "$PROJECT_ID" >/dev/null
gcloud services enable run.googleapis.com cloudscheduler.googleapis.com \
  secretmanager.googleapis.com monitoring.googleapis.com bigquery.googleapis.com \
  artifactregistry.googleapis.com cloudbuild.googleapis.com pubsub.googleapis.com
PROJECT_NUMBER=$(gcloud projects describe "$PROJECT_ID" --format 'value(projectNumber)')
# The service's deterministic URL: the push endpoint and the tokens' audience.
SERVICE_URL="https://prediction-monitor-${PROJECT_NUMBER}.${REGION}.run.app"

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

# 4. The job and the service (replace = create or update).
render() {
  sed -e "s#PROJECT_ID#${PROJECT_ID}#g" -e "s#REGION#${REGION}#g" -e "s#IMAGE#${IMAGE}#g" \
    -e "s#/nba_predictions#/${DATASET}#g" -e "s#SERVICE_URL#${SERVICE_URL}#g" \
    -e "s#CYCLE_RUNNER#${HOURLY_CYCLE}#g" "deploy/$1" > "$rendered/$1"
  echo "$rendered/$1"
}
gcloud run jobs replace "$(render cloud-run-job.yaml)" --region "$REGION"
gcloud run services replace "$(render cloud-run-service.yaml)" --region "$REGION"
# Authenticated callers only (Cloud Run IAM): never public, whatever an earlier
# deployment or a console click did.
gcloud run services remove-iam-policy-binding prediction-monitor --region "$REGION" \
  --member allUsers --role roles/run.invoker >/dev/null 2>&1 || true

# 5. The hourly cycle: Cloud Scheduler runs the job through the Cloud Run Admin API, or
# — with HOURLY_CYCLE=service — the service schedules it and the trigger goes away.
gcloud projects add-iam-policy-binding "$PROJECT_ID" --member "serviceAccount:$SA" \
  --role roles/run.invoker --condition None >/dev/null
URI="https://run.googleapis.com/v2/projects/${PROJECT_ID}/locations/${REGION}/jobs/prediction-monitor:run"
if gcloud scheduler jobs describe prediction-monitor-cycle --location "$REGION" >/dev/null 2>&1; then
  verb=update
else
  verb=create
fi
if [ "$HOURLY_CYCLE" = job ]; then
  gcloud scheduler jobs "$verb" http prediction-monitor-cycle --location "$REGION" \
    --schedule "$SCHEDULE" --time-zone "$TIME_ZONE" --uri "$URI" --http-method POST \
    --oauth-service-account-email "$SA"
elif [ "$verb" = update ]; then
  gcloud scheduler jobs delete prediction-monitor-cycle --location "$REGION" --quiet
fi

# 6. Batch events: the topic the worker publishes to (MONITOR_BATCH_TOPIC), and a push
# subscription that posts each message to the service with an OIDC token of PUSH_SA.
gcloud pubsub topics describe "$TOPIC" >/dev/null 2>&1 || gcloud pubsub topics create "$TOPIC"
if [ -n "${WORKER_SA:-}" ]; then
  gcloud pubsub topics add-iam-policy-binding "$TOPIC" --member "serviceAccount:$WORKER_SA" \
    --role roles/pubsub.publisher >/dev/null
fi
gcloud iam service-accounts describe "$PUSH_SA" >/dev/null 2>&1 ||
  gcloud iam service-accounts create prediction-monitor-push \
    --display-name "prediction monitor: Pub/Sub push to serve"
# The invoker binding: the push's token gets through Cloud Run IAM...
gcloud run services add-iam-policy-binding prediction-monitor --region "$REGION" \
  --member "serviceAccount:$PUSH_SA" --role roles/run.invoker >/dev/null
# ...and Pub/Sub's service agent may mint tokens as PUSH_SA.
gcloud iam service-accounts add-iam-policy-binding "$PUSH_SA" \
  --member "serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com" \
  --role roles/iam.serviceAccountTokenCreator >/dev/null
# A push is answered once its cycle ran (the ack deadline covers it); a refused one is
# redelivered with backoff, for an hour at most: by then the hourly cycle has seen the
# batch anyway.
push=(--push-endpoint "${SERVICE_URL}/events/batch" --push-auth-service-account "$PUSH_SA"
  --push-auth-token-audience "$SERVICE_URL" --ack-deadline 600
  --message-retention-duration 1h --min-retry-delay 10s --max-retry-delay 600s)
if gcloud pubsub subscriptions describe prediction-monitor-push >/dev/null 2>&1; then
  gcloud pubsub subscriptions update prediction-monitor-push "${push[@]}"
else
  gcloud pubsub subscriptions create prediction-monitor-push --topic "$TOPIC" "${push[@]}"
fi

# 7. Alert policies on the monitor's own metrics.
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
# 8. The dashboard (generated by `prediction-monitor dashboard`), replaced when present.
dashboard=$(gcloud monitoring dashboards list --filter 'displayName="prediction-monitor"' \
  --format 'value(name)' | head -n 1)
if [ -n "$dashboard" ]; then
  gcloud monitoring dashboards update "$dashboard" \
    --config-from-file deploy/monitoring/dashboard.json
else
  gcloud monitoring dashboards create --config-from-file deploy/monitoring/dashboard.json
fi
echo "deployed: gcloud run jobs execute prediction-monitor --region $REGION   # try it now"
echo "hourly cycle: run by the $HOURLY_CYCLE; batch events: the prediction worker sets" \
  "MONITOR_BATCH_TOPIC=projects/${PROJECT_ID}/topics/${TOPIC}"
