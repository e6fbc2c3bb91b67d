"""SMS through an HTTP SMS gateway (account + API key; the signature is prepended to the text)."""

from django.utils.translation import gettext_lazy as _

from .base import ConfigField
from .provider import ProviderBackend


class SmsBackend(ProviderBackend):
    name = "sms"
    kinds = {"sms"}
    config_fields = (
        ConfigField("endpoint", required=True, help=_("Gateway URL that accepts a JSON POST.")),
        ConfigField("account", required=True, help=_("Account or app id at the SMS provider.")),
        ConfigField("api_key", required=True, secret=True, help=_("API key (write-only).")),
        ConfigField("signature", help=_("Signature put in front of every text, e.g. 【Fresh Mart】.")),
        ConfigField("max_segments", help=_("Longest text allowed, in SMS segments (default 3).")),
        ConfigField("timeout", help=_("Seconds to wait for the gateway (default 10).")),
    )

    def headers(self, channel, message):
        return {"Authorization": f"Bearer {channel.config['api_key']}"}

    def payload(self, channel, message):
        return {
            "account": channel.config["account"],
            "to": message.recipient,
            "text": f"{channel.config.get('signature', '')}{message.body}",
            "request_id": message.idempotency_key,
        }
