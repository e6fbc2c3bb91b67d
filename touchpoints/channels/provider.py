"""Common shape of the provider-style HTTP backends (SMS, WeChat, mini-program, WeCom, push).

Each takes its endpoint and credentials from the channel config, POSTs JSON, and hands the
delivery's idempotency key to the provider (header `Idempotency-Key`, plus the provider's own
de-duplication field where it has one). Providers in this family answer 200 with an error code
in the body; a non-zero code is a refusal of this message unless the provider says "busy".
"""

from . import http
from .base import Backend, PermanentError, SendResult, TransientError

# Codes meaning "try again later" (WeChat/WeCom -1 "system busy", 45009 rate limit; generic 429).
BUSY_CODES = {-1, 45009, 429, "BUSY", "RATE_LIMITED"}


class ProviderBackend(Backend):
    idempotent = True
    code_keys = ("errcode", "code")
    ok_codes = {0, "0", "OK", "ok", None}

    @classmethod
    def check_config(cls, config):
        http.check_url(config["endpoint"], key="endpoint")

    def payload(self, channel, message) -> dict:
        raise NotImplementedError

    def headers(self, channel, message) -> dict:
        return {}

    def send(self, channel, message):
        if not message.recipient:
            raise PermanentError("the member has no address for this channel")
        headers = {"Idempotency-Key": message.idempotency_key, **self.headers(channel, message)}
        answer = http.post_json(channel.config["endpoint"], self.payload(channel, message), headers=headers,
                                timeout=http.timeout_of(channel.config))
        code = next((answer[k] for k in self.code_keys if k in answer), None)
        if code not in self.ok_codes:
            text = answer.get("errmsg") or answer.get("message") or ""
            error = TransientError if code in BUSY_CODES else PermanentError
            raise error(f"provider code {code}: {text}".strip())
        return SendResult(provider_message_id=str(answer.get("msgid") or answer.get("message_id") or answer.get("id") or ""))


def wechat_data(fields):
    """WeChat's data map: {"thing1": {"value": "…"}} from the template's rendered {"thing1": "…"}."""
    return {key: {"value": value} for key, value in (fields.get("data") or {}).items()}
