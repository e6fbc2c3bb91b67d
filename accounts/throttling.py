"""Per-token rate limit for ingestion (POST /api/v1/events and /members).

A fixed window counted with an atomic Redis INCR (Django's cache): concurrent requests from
several web workers cannot both read the same count, as DRF's read-modify-write history can.
The rate is `settings.INGEST_RATE` (env `INGEST_RATE`, e.g. `600/min`).
"""

import logging
import time

from django.conf import settings
from django.core.cache import caches
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from config.env import parse_rate

from .models import ApiToken
from .tokens import digest_of

log = logging.getLogger(__name__)


def client_identity(request):
    """Who the limit counts against: the token (each token has its own budget), else the user."""
    auth = request.auth
    if isinstance(auth, ApiToken):
        return f"token:{auth.pk}"
    if auth is not None and hasattr(auth, "key"):
        return f"cli:{digest_of(auth.key)[:16]}"
    return f"user:{request.user.pk}"


class IngestRateThrottle(BaseThrottle):
    scope = "ingest"

    def allow_request(self, request, view):
        limit, seconds = parse_rate("INGEST_RATE", settings.INGEST_RATE)
        now = time.time()
        window = int(now // seconds)
        key = f"throttle:{self.scope}:{client_identity(request)}:{window}"
        cache = caches[settings.THROTTLE_CACHE]
        try:
            cache.add(key, 0, timeout=seconds + 1)
            count = cache.incr(key)
        except (RedisError, ValueError):
            # A rate limiter that is down must not drop events the engine is waiting for:
            # ingestion goes on unlimited until Redis answers again.
            log.warning("ingestion rate limit skipped: the throttle cache is unavailable", exc_info=True)
            return True
        self.retry_after = (window + 1) * seconds - now
        return count <= limit

    def wait(self):
        return self.retry_after
