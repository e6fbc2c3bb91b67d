"""Shared HTTP plumbing for provider-style backends: one POST, errors classified by status code."""

import json
from urllib.parse import urlsplit

import requests
from django.utils.translation import gettext as _

from .base import ConfigError, PermanentError, TransientError

DEFAULT_TIMEOUT = 10.0
# 408 and 429 are the provider asking us to come back later, not a refusal of this message.
RETRYABLE_4XX = {408, 425, 429}


def check_url(url, key="url"):
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(_("config key %(key)r must be an http(s) URL") % {"key": key})


MAX_TIMEOUT = 60.0


def timeout_of(config):
    """The channel's timeout, bounded so that a batch always ends well inside the sender's lease."""
    try:
        return min(max(float(config.get("timeout", DEFAULT_TIMEOUT)), 1.0), MAX_TIMEOUT)
    except (TypeError, ValueError):
        return DEFAULT_TIMEOUT


def post_json(url, payload, *, headers=None, timeout=DEFAULT_TIMEOUT):
    """POSTs `payload` as JSON; returns the decoded JSON answer (or {}), raises a ChannelError."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    return post_body(url, body, headers=headers, timeout=timeout)


def post_body(url, body, *, headers=None, timeout=DEFAULT_TIMEOUT):
    all_headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "JourneyCanvas/1.0"}
    all_headers.update(headers or {})
    try:
        response = requests.post(url, data=body, headers=all_headers, timeout=timeout)
    except requests.Timeout:
        raise TransientError(f"timed out after {timeout:g}s") from None
    except requests.ConnectionError as exc:
        raise TransientError(f"connection failed: {type(exc).__name__}") from None
    except requests.RequestException as exc:
        raise PermanentError(f"request refused: {exc}") from None
    if response.status_code >= 500 or response.status_code in RETRYABLE_4XX:
        raise TransientError(f"HTTP {response.status_code}: {response.text[:200]}")
    if response.status_code >= 400:
        raise PermanentError(f"HTTP {response.status_code}: {response.text[:200]}")
    if not response.content:
        return {}
    try:
        answer = response.json()
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
