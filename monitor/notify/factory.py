"""Environment → notifier. Adding a channel touches this one function."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from monitor.notify.base import Notifier
from monitor.secrets import Secret

# Whitespace or a control character inside a token or URL: slack-sdk would put it
# in a header or request line and the resulting error would echo the secret.
_UNPRINTABLE = re.compile(r"[\x00-\x20\x7f]")


class NotifierConfigError(ValueError):
    pass


def slack_env_problems(env: Mapping[str, str]) -> list[str]:
    """What is wrong with the Slack settings, never quoting a secret's value."""
    token, channel = env.get("SLACK_BOT_TOKEN", ""), env.get("SLACK_CHANNEL", "")
    webhook = env.get("SLACK_WEBHOOK_URL", "")
    problems: list[str] = []
    if token:
        Secret(token)  # registered first: whatever fails below cannot print it
        if not channel.strip():
            problems.append("SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not")
        if _UNPRINTABLE.search(token):
            problems.append("SLACK_BOT_TOKEN contains whitespace or a control character "
                            "(a stray newline when the secret was stored?)")
    if webhook:
        Secret(webhook)
        if _UNPRINTABLE.search(webhook):
            problems.append("SLACK_WEBHOOK_URL contains whitespace or a control character "
                            "(a stray newline when the secret was stored?)")
        elif not _is_http_url(webhook):
            problems.append("SLACK_WEBHOOK_URL is not an http(s) URL "
                            "(expected https://hooks.slack.com/services/...)")
    signing = env.get("SLACK_SIGNING_SECRET", "")
    if signing:
        Secret(signing)
        if _UNPRINTABLE.search(signing):
            problems.append("SLACK_SIGNING_SECRET contains whitespace or a control character "
                            "(a stray newline when the secret was stored?)")
    api = env.get("SLACK_API_URL", "")
    if api and (_UNPRINTABLE.search(api) or not _is_http_url(api)):
        problems.append("SLACK_API_URL is not an http(s) URL")
    return problems


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname) and (
            parts.port is None or parts.port > 0)
    except ValueError:  # a bad port, brackets
        return False


def notifier_from_env(env: Mapping[str, str], *, max_retry_after: float = 30.0) -> Notifier:
    """SLACK_BOT_TOKEN + SLACK_CHANNEL, or SLACK_WEBHOOK_URL; else the console.
    `max_retry_after`: seconds of Retry-After one message may wait (slack.* in
    alerts.yaml); past it the message stays owed for the next run."""
    problems = slack_env_problems(env)
    if problems:
        raise NotifierConfigError("; ".join(problems))
    token, channel = env.get("SLACK_BOT_TOKEN", ""), env.get("SLACK_CHANNEL", "")
    webhook = env.get("SLACK_WEBHOOK_URL", "")
    if token:
        from monitor.notify.slack import SlackNotifier

        return SlackNotifier.from_token(Secret(token), channel, env.get("SLACK_API_URL"),
                                        max_retry_after=max_retry_after)
    if webhook:
        from monitor.notify.slack import SlackWebhookNotifier

        return SlackWebhookNotifier.from_url(Secret(webhook), max_retry_after=max_retry_after)
    import logging

    from monitor.notify.console import ConsoleNotifier
    from monitor.runtime import on_cloud_run

    return ConsoleNotifier(logger=logging.getLogger("monitor.console")
                           if on_cloud_run(env) else None)
