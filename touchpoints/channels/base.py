"""The interface every channel backend implements, and the errors it raises.

A backend gets a rendered `Message` and the `Channel` row (for credentials, endpoint and the
signing secret) and either returns a `SendResult` or raises a `ChannelError` whose `permanent`
flag tells the sender whether a retry can help.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext as _


class ChannelError(Exception):
    permanent = False

    def __init__(self, message, *, permanent=None):
        super().__init__(message)
        if permanent is not None:
            self.permanent = permanent


class PermanentError(ChannelError):
    """The provider refused the message (4xx, bad recipient, bad credentials): retrying is useless."""

    permanent = True


class TransientError(ChannelError):
    """The provider could not take the message now (5xx, timeout, connection refused): retry later."""

    permanent = False


class ConfigError(ValueError):
    """The channel configuration is unusable; the message names the offending key."""


@dataclass
class Message:
    delivery_id: int | None
    idempotency_key: str
    recipient: str
    body: str
    subject: str = ""
    fields: dict = field(default_factory=dict)
    member: dict = field(default_factory=dict)
    journey: dict = field(default_factory=dict)

    def as_json(self):
        return {
            "delivery": self.delivery_id,
            "idempotency_key": self.idempotency_key,
            "recipient": self.recipient,
            "subject": self.subject,
            "body": self.body,
            "fields": self.fields,
            "member": self.member,
            "journey": self.journey,
        }


@dataclass
class SendResult:
    provider_message_id: str = ""


@dataclass(frozen=True)
class ConfigField:
    name: str
    required: bool = False
    secret: bool = False
    help: str = ""


class Backend:
    name = ""
    # Channel kinds this backend can serve; None means any kind.
    kinds = None
    # True when the provider honours our idempotency key, so re-sending after a crash in the
    # middle of a send cannot produce a second message (see touchpoints/sender.py).
    idempotent = False
    config_fields: tuple[ConfigField, ...] = ()

    def send(self, channel, message: Message) -> SendResult:
        raise NotImplementedError

    # --- configuration ---------------------------------------------------------------------

    @classmethod
    def secret_field_names(cls):
        return {f.name for f in cls.config_fields if f.secret}

    @classmethod
    def validate_config(cls, config):
        """Raises ConfigError for a config this backend cannot use."""
        if not isinstance(config, dict):
            raise ConfigError(_("config must be a JSON object"))
        known = {f.name for f in cls.config_fields}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ConfigError(_("unknown config key %(key)r for backend %(backend)r; expected one of %(keys)s")
                              % {"key": unknown[0], "backend": cls.name, "keys": ", ".join(sorted(known))})
        for f in cls.config_fields:
            value = config.get(f.name)
            if f.required and value in (None, ""):
                raise ConfigError(_("config key %(key)r is required for backend %(backend)r") % {"key": f.name, "backend": cls.name})
            if value is not None and not isinstance(value, (str, int, float, bool)):
                raise ConfigError(_("config key %(key)r must be a string or a number") % {"key": f.name})
        cls.check_config(config)

    @classmethod
    def check_config(cls, config):
        """Backend-specific checks beyond presence and type."""
