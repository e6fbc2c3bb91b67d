"""Backend name → backend class, and which backends may serve which channel kind."""

from django.utils.translation import gettext as _

from .base import ConfigError
from .console import ConsoleBackend
from .email import EmailBackend
from .miniprogram import MiniprogramBackend
from .push import PushBackend
from .sms import SmsBackend
from .webhook import WebhookBackend
from .wechat_template import WechatTemplateBackend
from .wecom import WecomBackend

BACKENDS = {
    backend.name: backend
    for backend in (ConsoleBackend, WebhookBackend, EmailBackend, SmsBackend, WechatTemplateBackend,
                    MiniprogramBackend, WecomBackend, PushBackend)
}


def get_backend(name):
    try:
        return BACKENDS[name]()
    except KeyError:
        raise ConfigError(_("unknown backend %(name)r; expected one of %(names)s") % {"name": name, "names": ", ".join(BACKENDS)}) from None


def backends_for_kind(kind):
    return [name for name, backend in BACKENDS.items() if backend.kinds is None or kind in backend.kinds]


def validate_channel(kind, backend_name, config):
    """Raises ConfigError (message names the field) unless `backend_name` can serve `kind` with `config`."""
    backend = BACKENDS.get(backend_name)
    if backend is None:
        raise ConfigError(_("unknown backend %(name)r; expected one of %(names)s") % {"name": backend_name, "names": ", ".join(BACKENDS)})
    if backend.kinds is not None and kind not in backend.kinds:
        raise ConfigError(_("backend %(backend)r cannot send %(kind)r messages; use one of %(backends)s")
                          % {"backend": backend_name, "kind": kind, "backends": ", ".join(backends_for_kind(kind))})
    backend.validate_config(config)
