"""WeCom (企业微信) application text messages to a member's external contact."""

from django.utils.translation import gettext_lazy as _

from .base import ConfigField
from .provider import ProviderBackend


class WecomBackend(ProviderBackend):
    name = "wecom"
    kinds = {"wecom"}
    config_fields = (
        ConfigField("endpoint", required=True, help=_("Message send URL.")),
        ConfigField("corp_id", required=True, help=_("Corp ID.")),
        ConfigField("agent_id", required=True, help=_("Application agent id.")),
        ConfigField("access_token", required=True, secret=True, help=_("Access token (write-only).")),
        ConfigField("timeout", help=_("Seconds to wait for the API (default 10).")),
    )

    def headers(self, channel, message):
        return {"Authorization": f"Bearer {channel.config['access_token']}"}

    def payload(self, channel, message):
        return {
            "touser": message.recipient,
            "msgtype": "text",
            "agentid": channel.config["agent_id"],
            "text": {"content": message.body},
            "enable_duplicate_check": 1,
        }
