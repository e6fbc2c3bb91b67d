from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class VariantRollup(models.Model):
    """Per split variant: enrolments, goal conversions and order revenue, rebuilt by
    reports.rollups.refresh() so that reading A/B results at 1M enrolments costs a few rows."""

    journey = models.ForeignKey("journeys.Journey", on_delete=models.CASCADE, related_name="+")
    node_key = models.CharField(max_length=64)
    variant = models.CharField(max_length=64)
    members = models.BigIntegerField(default=0)
    conversions = models.JSONField(default=dict, help_text="{goal_key: enrolments that converted}")
    revenue_sum = models.FloatField(default=0.0)
    revenue_sum_squares = models.FloatField(default=0.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["journey", "node_key", "variant"], name="variant_rollup_unique")]


class RollupState(models.Model):
    journey = models.OneToOneField("journeys.Journey", on_delete=models.CASCADE, related_name="+")
    refreshed_at = models.DateTimeField()
    revenue_window_days = models.PositiveIntegerField()


class SplitPolicy(models.Model):
    """Per split node: whether the winner may be promoted automatically, and the rule for it."""

    journey = models.ForeignKey("journeys.Journey", on_delete=models.CASCADE, related_name="+")
    node_key = models.CharField(_("split node"), max_length=64)
    auto_promote = models.BooleanField(_("promote the winner automatically"), default=False)
    alpha = models.FloatField(_("false-winner rate"), default=0.05)
    min_members = models.PositiveIntegerField(_("minimum members per variant"), default=1000)
    keep_control = models.BooleanField(_("keep the control group"), default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["journey", "node_key"], name="split_policy_unique")]


class Promotion(models.Model):
    """History of promoted (and withdrawn) split variants, shown on the journey's report."""

    journey = models.ForeignKey("journeys.Journey", on_delete=models.CASCADE, related_name="promotions")
    node_key = models.CharField(_("split node"), max_length=64)
    variant = models.CharField(_("variant"), max_length=64, blank=True, help_text=_("Empty: the promotion was withdrawn."))
    keep_control = models.BooleanField(_("keep the control group"), default=False)
    automatic = models.BooleanField(_("automatic"), default=False)
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("promotion")


class FunnelSnapshot(models.Model):
    """The last computed funnel and daily activity of a journey for one cohort unit and time zone.

    At 1M enrolments the funnel scan takes seconds, so pages and /funnel answer from here and a
    stale snapshot is recomputed in the background (reports.snapshots).
    """

    journey = models.ForeignKey("journeys.Journey", on_delete=models.CASCADE, related_name="+")
    unit = models.CharField(max_length=8)
    timezone = models.CharField(max_length=64)
    data = models.JSONField()
    computed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["journey", "unit", "timezone"], name="funnel_snapshot_unique")]
