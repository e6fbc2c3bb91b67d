"""WeChat official-account template messages (POST …/message/template/send?access_token=…)."""

from django.utils.translation import gettext_lazy as _

from .base import ConfigField
from .provider import ProviderBackend, wechat_data


class WechatTemplateBackend(ProviderBackend):
    name = "wechat_template"
    kinds = {"wechat_template"}
    config_fields = (
        ConfigField("endpoint", required=True, help=_("Template-message send URL.")),
        ConfigField("app_id", required=True, help=_("Official account AppID.")),
        ConfigField("access_token", required=True, secret=True, help=_("Access token (write-only).")),
        ConfigField("timeout", help=_("Seconds to wait for the API (default 10).")),
    )

    def headers(self, channel, message):
        return {"Authorization": f"Bearer {channel.config['access_token']}"}

    def payload(self, channel, message):
        payload = {
            "touser": message.recipient,
            "template_id": message.fields.get("template_id", ""),
            "data": wechat_data(message.fields),
            # WeChat drops a second template message with the same client_msg_id.
            "client_msg_id": message.idempotency_key,
        }
        if message.fields.get("url"):
            payload["url"] = message.fields["url"]
        return payload
