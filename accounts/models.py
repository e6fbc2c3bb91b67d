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
