"""`Authorization: Token <key>` for named API tokens (accounts.ApiToken) and drf_create_token keys."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions
from rest_framework.authtoken.models import Token as CommandLineToken

from .models import ApiToken
from .tokens import KEY_PREFIX, digest_of

# Writing `last_used_at` on every call would turn each ingestion request into an extra UPDATE;
# minute precision is what the token page needs.
LAST_USED_PRECISION = timedelta(minutes=1)


class TokenAuthentication(authentication.TokenAuthentication):
    def authenticate_credentials(self, key):
        if key.startswith(KEY_PREFIX):
            return self._named(key)
        # drf_create_token keys (40 hex characters): DRF's own lookup by primary key.
        try:
            token = CommandLineToken.objects.select_related("user").get(key=key)
        except CommandLineToken.DoesNotExist:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        return self._checked(token.user, token)

    def _named(self, key):
        # Looked up by digest: the comparison happens on a hash, so response timing cannot
        # reveal how much of a guessed key was right.
        token = (ApiToken.objects.select_related("user")
                 .filter(digest=digest_of(key), revoked_at__isnull=True).first())
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid or revoked token."))
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
            token.last_used_at = now
        return self._checked(token.user, token)

    @staticmethod
    def _checked(user, token):
        if not user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return user, token
