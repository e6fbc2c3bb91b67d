from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Journey(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        LIVE = "live", _("Live")
        PAUSED = "paused", _("Paused")
        ARCHIVED = "archived", _("Archived")

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True)
    draft = models.JSONField(_("draft document"), default=dict)
    draft_revision = models.PositiveIntegerField(_("draft revision"), default=1, help_text=_("Bumped on every save; a stale editor is refused."))
    split_overrides = models.JSONField(
        _("promoted split variants"), default=dict, blank=True,
        help_text=_('{node_key: {"variant": K, "keep_control": bool}}: new arrivals at the split take K.'),
    )
    current_version = models.ForeignKey("JourneyVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("journey")

    def __str__(self):
        return self.name


class JourneyVersion(models.Model):
    """A published, immutable journey document. Enrolments stay on the version they entered."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    document = models.JSONField(_("document"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["journey", "-number"]
        verbose_name = _("journey version")
        constraints = [models.UniqueConstraint(fields=["journey", "number"], name="journey_version_unique")]

    def __str__(self):
        return f"{self.journey} v{self.number}"


class Enrollment(models.Model):
    """One member's passage through one journey. Only journeys/engine.py changes its state."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        WAITING = "waiting", _("Waiting")
        COMPLETED = "completed", _("Completed")
        EXITED = "exited", _("Exited")

    OPEN = (Status.ACTIVE, Status.WAITING)

    # No single-column indexes on journey/version: (journey, node_key, status) and the open-enrolment
    # constraint cover journey lookups, and every index is rewritten on each step (no HOT updates).
    # Wake-ups find a member's waiting enrolments through the member index (a member has a handful).
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="enrollments", db_index=False)
    version = models.ForeignKey(JourneyVersion, on_delete=models.PROTECT, related_name="enrollments", db_index=False)
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="enrollments")
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    node_key = models.CharField(_("node"), max_length=64)
    visit = models.PositiveIntegerField(_("visit"), default=0, help_text=_("Counts node arrivals; part of every side effect's unique key."))
    due_at = models.DateTimeField(_("due at"), null=True, blank=True)
    waiting_for = models.CharField(_("waiting for event"), max_length=64, blank=True)
    shard = models.PositiveSmallIntegerField(_("shard"), default=0)
    assignments = models.JSONField(_("split assignments"), default=dict, blank=True)
    enrolled_at = models.DateTimeField(_("enrolled at"))
    node_entered_at = models.DateTimeField(_("arrived at node"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    exit_reason = models.CharField(_("exit reason"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("enrollment")
        indexes = [
            models.Index(fields=["shard", "due_at"], name="enrollment_due", condition=models.Q(status__in=["active", "waiting"])),
            models.Index(fields=["journey", "node_key", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["journey", "member"], condition=models.Q(status__in=["active", "waiting"]), name="one_open_enrollment_per_journey"
            )
        ]

    def __str__(self):
        return f"{self.member_id} in {self.journey_id} at {self.node_key}"


class StepLog(models.Model):
    """The trace: one row per node visit, written by the engine in the same transaction as the step."""

    # Only the engine writes these rows, copying the ids from the enrolment it holds locked in the
    # same transaction, so the database's per-row foreign-key checks (four index probes and row
    # locks per step, a fifth of the step's cost: docs/BENCHMARKS.md) prove nothing the engine
    # does not already guarantee. Deletes still cascade: Django's collector does it, not the database.
    # Lookups go through the (enrollment, visit) and (journey, node_key) indexes; a member's rows go
    # with the member's enrolments (hence DO_NOTHING and no member index).
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="steps", db_index=False,
                                   db_constraint=False)
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False)
    version = models.ForeignKey(JourneyVersion, on_delete=models.CASCADE, related_name="+", db_index=False,
                                db_constraint=False)
    member = models.ForeignKey("members.Member", on_delete=models.DO_NOTHING, related_name="+", db_index=False,
                               db_constraint=False)
    node_key = models.CharField(max_length=64)
    visit = models.PositiveIntegerField()
    arrived_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    branch = models.CharField(max_length=64, blank=True)
    note = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["enrollment", "visit"]
        indexes = [models.Index(fields=["journey", "node_key"])]
        constraints = [models.UniqueConstraint(fields=["enrollment", "visit"], name="steplog_visit_unique")]


class NodeStat(models.Model):
    """Counters the engine maintains per (version, node, metric), e.g. metric 'entered' or 'branch:matched'."""

    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="node_stats")
    version = models.ForeignKey(JourneyVersion, on_delete=models.CASCADE, related_name="node_stats")
    node_key = models.CharField(max_length=64)
    metric = models.CharField(max_length=96)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["version", "node_key", "metric"], name="nodestat_unique")]


class GoalConversion(models.Model):
    enrollment = models.ForeignKey(Enrollment, on_delete=models.CASCADE, related_name="conversions")
    journey = models.ForeignKey(Journey, on_delete=models.CASCADE, related_name="conversions")
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    goal_key = models.CharField(max_length=64)
    converted_at = models.DateTimeField()
    value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["enrollment", "goal_key"], name="goal_once_per_enrollment")]
        indexes = [models.Index(fields=["journey", "goal_key", "converted_at"])]
