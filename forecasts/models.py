from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Forecast(models.Model):
    """A draft's predicted run: the parameters, the behaviour model used and the results (JSON).

    Written only outside the isolated run; the run itself is rolled back (forecasts/sandbox.py).
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    journey = models.ForeignKey("journeys.Journey", on_delete=models.CASCADE, related_name="forecasts")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(_("parameters"), default=dict)
    document = models.JSONField(_("forecast document"), default=dict)
    model = models.JSONField(_("behaviour model"), default=dict, blank=True)
    results = models.JSONField(_("results"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("forecast")

    def __str__(self):
        return f"forecast {self.pk} of {self.journey_id}"
