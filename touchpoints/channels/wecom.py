"""WeCom (企业微信) application text messages to a member's external contact."""

from .base import ConfigField
from .provider import ProviderBackend


class WecomBackend(ProviderBackend):
    name = "wecom"
    kinds = {"wecom"}
    config_fields = (
        ConfigField("endpoint", required=True, help="Message send URL."),
        ConfigField("corp_id", required=True, help="Corp ID."),
        ConfigField("agent_id", required=True, help="Application agent id."),
        ConfigField("access_token", required=True, secret=True, help="Access token (write-only)."),
        ConfigField("timeout", help="Seconds to wait for the API (default 10)."),
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
