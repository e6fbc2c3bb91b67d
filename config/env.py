"""Typed, validated reads of the environment (SPEC §5).

A bad value stops the process at start with a message naming the variable, rather than
surfacing later as an odd failure deep inside Django or Celery.
"""

import os
import zoneinfo

from django.core.exceptions import ImproperlyConfigured

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


def string(name, default=""):
    return os.environ.get(name, default)


def boolean(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use 1/0, true/false, yes/no or on/off.")


def integer(name, default, minimum=None):
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}.")
    return value


def csv(name, default):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def timezone(name, default):
    raw = os.environ.get(name) or default
    try:
        zoneinfo.ZoneInfo(raw)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ImproperlyConfigured(f"{name}={raw!r} is not an IANA time zone such as Asia/Shanghai.") from None
    return raw


def choice(name, default, choices):
    raw = (os.environ.get(name) or default).strip()
    normalised = raw.lower()
    if normalised not in choices:
        raise ImproperlyConfigured(f"{name}={raw!r} must be one of: {', '.join(sorted(choices))}.")
    return normalised


def database(name, default):
    import dj_database_url

    raw = os.environ.get(name) or default
    if not raw.startswith(("postgres://", "postgresql://", "sqlite://")):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not supported; use postgres://USER@HOST:PORT/NAME or sqlite:///PATH."
        )
    try:
        return dj_database_url.parse(raw, conn_max_age=60)
    except Exception as exc:  # dj-database-url raises several types for malformed URLs
        raise ImproperlyConfigured(f"{name}={raw!r} cannot be parsed: {exc}") from None


def redis_url(name, default):
    raw = os.environ.get(name) or default
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(f"{name}={raw!r} is not a Redis URL such as redis://127.0.0.1:6379/0.")
    return raw


RATE_PERIODS = {"s": 1, "sec": 1, "second": 1, "min": 60, "minute": 60, "h": 3600, "hour": 3600, "day": 86400}


def parse_rate(name, raw):
    """"600/min" → (600, 60)."""
    try:
        count, period = str(raw).split("/")
        count, seconds = int(count), RATE_PERIODS[period.strip().lower()]
    except (ValueError, KeyError):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate such as 600/min (periods: {', '.join(RATE_PERIODS)}).") from None
    if count < 1:
        raise ImproperlyConfigured(f"{name}={raw!r} must allow at least one request.")
    return count, seconds


def rate(name, default):
    raw = os.environ.get(name) or default
    parse_rate(name, raw)
    return raw
