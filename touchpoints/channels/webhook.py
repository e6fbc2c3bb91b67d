"""HTTP POST of the message as JSON, signed with the channel secret.

Headers: `X-Journey-Signature: sha256=<hex HMAC-SHA256 of the raw body with the channel secret>`,
`X-Journey-Timestamp: <unix seconds>` (also inside the signed body as `sent_at`, so a replayed
request cannot be re-dated), and `Idempotency-Key: <the delivery's key>`.
"""

import hashlib
import hmac
import json
import time

from django.utils.translation import gettext_lazy as _

from . import http
from .base import Backend, ConfigField, SendResult

SIGNATURE_HEADER = "X-Journey-Signature"
TIMESTAMP_HEADER = "X-Journey-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"


def sign(secret, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_matches(secret, body: bytes, header_value) -> bool:
    if not secret or not header_value:
        return False
    # Bytes on both sides: compare_digest refuses (TypeError) a str with non-ASCII characters,
    # which a forged header can carry; it must be a plain mismatch, in constant time.
    return hmac.compare_digest(sign(secret, body).encode(), str(header_value).encode("utf-8", "replace"))


class WebhookBackend(Backend):
    name = "webhook"
    idempotent = True
    config_fields = (
        ConfigField("url", required=True, help=_("Where the JSON message is POSTed.")),
        ConfigField("timeout", help=_("Seconds to wait for an answer (default 10).")),
    )

    @classmethod
    def check_config(cls, config):
        http.check_url(config["url"])

    def send(self, channel, message, *, url=None):
        timestamp = int(time.time())
        payload = {**message.as_json(), "channel": channel.key, "sent_at": timestamp}
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
        headers = {TIMESTAMP_HEADER: str(timestamp), IDEMPOTENCY_HEADER: message.idempotency_key}
        if channel.secret:
            headers[SIGNATURE_HEADER] = sign(channel.secret, body)
        answer = http.post_body(url or channel.config["url"], body, headers=headers, timeout=http.timeout_of(channel.config))
        return SendResult(provider_message_id=str(answer.get("id") or answer.get("message_id") or ""))
