from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=64, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")

    def __str__(self):
        return self.name


class RFMGroup(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL = "potential", _("Potential loyalists")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    AT_RISK = "at_risk", _("At risk")
    CANNOT_LOSE = "cannot_lose", _("Cannot lose them")
    HIBERNATING = "hibernating", _("Hibernating")


class LifecycleStage(models.TextChoices):
    INTRODUCTION = "introduction", _("Introduction")
    GROWTH = "growth", _("Growth")
    MATURITY = "maturity", _("Maturity")
    DORMANCY = "dormancy", _("Dormancy")
    CHURN = "churn", _("Churn")


class Member(models.Model):
    external_id = models.CharField(_("external id"), max_length=128, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    wechat_openid = models.CharField(_("WeChat openid"), max_length=64, blank=True)
    miniprogram_openid = models.CharField(_("mini-program openid"), max_length=64, blank=True)
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)
    tags = models.ManyToManyField(Tag, through="MemberTag", related_name="members", blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, blank=True, help_text=_("Empty: the journey's time zone."))
    points = models.IntegerField(_("points"), default=0)
    opted_out = models.JSONField(_("opted-out channels"), default=list, blank=True, help_text=_("Channel keys or kinds the member declined."))
    rfm_group = models.CharField(_("RFM group"), max_length=16, choices=RFMGroup.choices, blank=True, db_index=True)
    rfm_scores = models.CharField(_("RFM scores"), max_length=3, blank=True, help_text=_("R, F and M quintiles, e.g. 545."))
    lifecycle_stage = models.CharField(_("lifecycle stage"), max_length=16, choices=LifecycleStage.choices, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("member")
        indexes = [models.Index(fields=["registered_at"])]

    def __str__(self):
        return self.name or self.external_id


class MemberTag(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE)
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "tag"], name="member_tag_unique")]


class Event(models.Model):
    """Something a member did, at `occurred_at` (the engine applies every effect at that time)."""

    # Written in batches by members.services.ingest_events with member ids it resolved (or created) in
    # the same transaction, so the database's per-row foreign-key check is not kept; deletes still
    # cascade through Django's collector. Member lookups use the (member, name, occurred_at) index.
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events", db_index=False, db_constraint=False)
    name = models.CharField(_("name"), max_length=64)
    properties = models.JSONField(_("properties"), default=dict, blank=True)
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=128, null=True, blank=True, unique=True)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("event")
        indexes = [
            models.Index(fields=["member", "name", "occurred_at"]),
            models.Index(fields=["name", "occurred_at"]),
        ]

    def __str__(self):
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M}"


class Segment(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    description = models.TextField(_("description"), blank=True)
    rule = models.JSONField(_("rule"), default=dict)
    member_count = models.PositiveIntegerField(_("members at last refresh"), null=True, blank=True)
    refreshed_at = models.DateTimeField(_("refreshed at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")

    def __str__(self):
        return self.name


class SegmentMembership(models.Model):
    """Who was in a segment and when: `refresh` opens a row when a member enters and closes it when they leave.

    Entry detection (`entry: {"segment": …}` journeys) reads the rows opened by one refresh.
    """

    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, related_name="memberships")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="segment_memberships")
    entered_at = models.DateTimeField(_("entered at"))
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    class Meta:
        verbose_name = _("segment membership")
        constraints = [
            models.UniqueConstraint(fields=["segment", "member"], condition=models.Q(left_at__isnull=True), name="one_open_segment_membership")
        ]
        indexes = [models.Index(fields=["member"], name="segment_membership_member", condition=models.Q(left_at__isnull=True))]


class ImportJob(models.Model):
    """A CSV upload of members or events, processed in chunks by a Celery task."""

    class Kind(models.TextChoices):
        MEMBERS = "members", _("Members")
        EVENTS = "events", _("Events")

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.PENDING)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("processed rows"), default=0)
    imported_rows = models.PositiveIntegerField(_("imported rows"), default=0)
    rejected_rows = models.PositiveIntegerField(_("rejected rows"), default=0)
    duplicate_rows = models.PositiveIntegerField(_("duplicate rows"), default=0)
    rejections = models.JSONField(_("rejected rows"), default=list, blank=True, help_text=_("[{row, message}], the first 1,000."))
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")

    def __str__(self):
        return f"{self.get_kind_display()} {self.original_name}"

    @property
    def percent(self):
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0

    @property
    def finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
