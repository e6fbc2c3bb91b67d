"""Mini-program subscription messages (POST …/message/subscribe/send)."""

from django.utils.translation import gettext_lazy as _

from .base import ConfigField
from .provider import ProviderBackend, wechat_data


class MiniprogramBackend(ProviderBackend):
    name = "miniprogram"
    kinds = {"miniprogram"}
    config_fields = (
        ConfigField("endpoint", required=True, help=_("Subscription-message send URL.")),
        ConfigField("app_id", required=True, help=_("Mini-program AppID.")),
        ConfigField("access_token", required=True, secret=True, help=_("Access token (write-only).")),
        ConfigField("state", help=_("formal, trial or developer (default formal).")),
        ConfigField("timeout", help=_("Seconds to wait for the API (default 10).")),
    )

    def headers(self, channel, message):
        return {"Authorization": f"Bearer {channel.config['access_token']}"}

    def payload(self, channel, message):
        return {
            "touser": message.recipient,
            "template_id": message.fields.get("template_id", ""),
            "page": message.fields.get("page", ""),
            "data": wechat_data(message.fields),
            "miniprogram_state": channel.config.get("state", "formal"),
        }
