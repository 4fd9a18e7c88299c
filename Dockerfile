# prediction-monitor: the Cloud Run job image. `run` is one monitoring cycle.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MONITOR_DATA_DIR=/tmp/prediction-monitor

WORKDIR /app

# Dependencies first (pinned by constraints.txt), so code changes reuse the layer.
COPY pyproject.toml constraints.txt README.md alerts.yaml ./
COPY queries ./queries
COPY monitor ./monitor
# The package without its dev extras, exactly as CI installs it in a fresh venv.
RUN pip install -c constraints.txt . \
    && useradd --uid 10001 --create-home --shell /usr/sbin/nologin monitor

USER 10001:10001
WORKDIR /home/monitor

ENTRYPOINT ["prediction-monitor"]
CMD ["run"]
