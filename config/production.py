"""Production settings: `DJANGO_SETTINGS_MODULE=config.production`.

Refuses to start without a real SECRET_KEY and with DEBUG on, and turns on every protection
`manage.py check --deploy` asks for. Terminate TLS in front of the app (it trusts
X-Forwarded-Proto from that proxy).
"""

from django.core.exceptions import ImproperlyConfigured

from . import env
from .settings import *  # noqa: F403

if not env.string("SECRET_KEY") or len(SECRET_KEY) < 50:  # noqa: F405
    raise ImproperlyConfigured("SECRET_KEY must be set to a random string of at least 50 characters in production.")
if DEBUG:  # noqa: F405
    raise ImproperlyConfigured("DEBUG must be off in production.")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
