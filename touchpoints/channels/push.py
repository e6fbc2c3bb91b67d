"""App push through an HTTP push service (app key + master secret, one registration id)."""

from django.utils.translation import gettext_lazy as _

from .base import ConfigField
from .provider import ProviderBackend


class PushBackend(ProviderBackend):
    name = "push"
    kinds = {"push"}
    config_fields = (
        ConfigField("endpoint", required=True, help=_("Push API URL.")),
        ConfigField("app_key", required=True, help=_("App key.")),
        ConfigField("master_secret", required=True, secret=True, help=_("Master secret (write-only).")),
        ConfigField("timeout", help=_("Seconds to wait for the API (default 10).")),
    )

    def headers(self, channel, message):
        return {"Authorization": f"Bearer {channel.config['master_secret']}", "X-App-Key": channel.config["app_key"]}

    def payload(self, channel, message):
        return {
            "audience": {"registration_id": [message.recipient]},
            "notification": {"title": message.subject, "alert": message.body, "extras": message.fields.get("extras", {})},
            "options": {"idempotency_key": message.idempotency_key},
        }
