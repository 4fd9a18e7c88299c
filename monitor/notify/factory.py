"""Environment → notifier. Adding a channel touches this one function."""

from __future__ import annotations

from collections.abc import Mapping

from monitor.notify.base import Notifier
from monitor.secrets import Secret


class NotifierConfigError(ValueError):
    pass


def notifier_from_env(env: Mapping[str, str]) -> Notifier:
    """SLACK_BOT_TOKEN + SLACK_CHANNEL, or SLACK_WEBHOOK_URL; else the console."""
    token, channel = env.get("SLACK_BOT_TOKEN", ""), env.get("SLACK_CHANNEL", "")
    webhook = env.get("SLACK_WEBHOOK_URL", "")
    if token:
        if not channel:
            raise NotifierConfigError("SLACK_BOT_TOKEN is set but SLACK_CHANNEL is not")
        from monitor.notify.slack import SlackNotifier

        return SlackNotifier.from_token(Secret(token), channel, env.get("SLACK_API_URL"))
    if webhook:
        from monitor.notify.slack import SlackWebhookNotifier

        return SlackWebhookNotifier.from_url(Secret(webhook))
    import logging

    from monitor.notify.console import ConsoleNotifier
    from monitor.runtime import on_cloud_run

    return ConsoleNotifier(logger=logging.getLogger("monitor.console")
                           if on_cloud_run(env) else None)
