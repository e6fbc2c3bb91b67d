import zoneinfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def timezone_choices():
    common = ["Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "UTC",
              "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles"]
    return [(name, name) for name in common if name in zoneinfo.available_timezones() or name == "UTC"]


class OperatorProfile(models.Model):
    """Per-operator preferences: the time zone every date in the UI is shown in."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile")
    timezone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("operator profile")

    def __str__(self):
        return f"{self.user} ({self.timezone or settings.TIME_ZONE})"


AUDIT_ACTIONS = {
    "created": _("created"), "changed": _("changed"), "published": _("published"), "paused": _("paused"),
    "resumed": _("resumed"), "archived": _("archived"), "deleted": _("deleted"), "imported": _("imported"),
    "promoted": _("promoted a variant"), "enrolled": _("enrolled members"), "token_created": _("created a token"),
    "token_revoked": _("revoked a token"), "journey.promote_variant": _("promoted a variant"),
    "journey.withdraw_promotion": _("withdrew a promotion"),
}


class AuditEntry(models.Model):
    """Who created, changed, published, paused or archived what, and when (append-only)."""

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(_("action"), max_length=32, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=200)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_repr}"

    @property
    def action_label(self):
        return AUDIT_ACTIONS.get(self.action, self.action)


class ApiToken(models.Model):
    """A named API key of one operator: any number per user, shown once, revocable.

    Only a SHA-256 digest of the key is stored, so a database dump or an admin page never
    reveals a usable key; `prefix` lets the owner tell their keys apart.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    prefix = models.CharField(_("starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.name} ({self.user}, {self.prefix}…)"

    @property
    def active(self):
        return self.revoked_at is None
