"""API tokens: the only writer of `ApiToken` rows and of DRF's command-line tokens' revocation.

A key is `jc_` + 40 URL-safe random characters, returned once by `create_token`; the database
keeps its SHA-256 digest. `python manage.py drf_create_token USERNAME` still makes DRF's own
one-per-user token (SPEC §4); those keys are accepted too and revoked the same way.
"""

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone
from rest_framework.authtoken.models import Token as CommandLineToken

from . import audit
from .models import ApiToken
from .roles import ADMIN, has_role

KEY_PREFIX = "jc_"


class TokenRefused(Exception):
    """The operator may not revoke this token (it belongs to someone else and they are not an admin)."""


def digest_of(key):
    return hashlib.sha256(key.encode()).hexdigest()


def create_token(user, name):
    """A new named token for `user`; returns (token, key). The key is not stored and cannot be shown again."""
    key = KEY_PREFIX + secrets.token_urlsafe(30)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name.strip()[:80], digest=digest_of(key),
                                        prefix=key[:len(KEY_PREFIX) + 5])
        audit.record(user, "token_created", token, owner=user.get_username(), name=token.name)
    return token, key


def can_manage(actor, owner):
    return actor.pk == owner.pk or has_role(actor, ADMIN)


def revoke_token(token, *, by):
    """Stop `token` working from the next request on; only its owner or an admin may."""
    if not can_manage(by, token.user):
        raise TokenRefused
    with transaction.atomic():
        updated = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by=by)
        if updated:
            audit.record(by, "token_revoked", token, owner=token.user.get_username(), name=token.name)
    token.refresh_from_db()
    return token


def revoke_command_line_token(owner, *, by):
    """Delete the owner's drf_create_token key (DRF keeps one per user; deleting it is revoking it)."""
    if not can_manage(by, owner):
        raise TokenRefused
    with transaction.atomic():
        token = CommandLineToken.objects.filter(user=owner).first()
        if token is not None:
            # The audit entry names the owner, never the key (the key is the DRF row's primary key).
            audit.record(by, "token_revoked", owner, owner=owner.get_username(), name="drf_create_token")
            token.delete()
    return token is not None


def visible_tokens(user):
    """The named tokens a user may see: their own, or everybody's for an admin."""
    tokens = ApiToken.objects.select_related("user", "revoked_by").order_by("revoked_at", "-created_at", "-id")
    return tokens if has_role(user, ADMIN) else tokens.filter(user=user)


def visible_command_line_tokens(user):
    tokens = CommandLineToken.objects.select_related("user").order_by("-created")
    return tokens if has_role(user, ADMIN) else tokens.filter(user=user)
