"""The default backend: writes the rendered message to the log. Works without any provider."""

import logging
import uuid

from django.utils.translation import gettext_lazy as _

from .base import Backend, ConfigField, SendResult

logger = logging.getLogger("touchpoints.console")


class ConsoleBackend(Backend):
    name = "console"
    config_fields = (ConfigField("prefix", help=_("Text put in front of every logged message.")),)

    def send(self, channel, message):
        logger.info(
            "%s[%s] to %s (%s): %s%s",
            channel.config.get("prefix", ""), channel.key, message.recipient, message.idempotency_key,
            f"{message.subject} — " if message.subject else "", message.body,
        )
        return SendResult(provider_message_id=f"console-{uuid.uuid4().hex[:12]}")
