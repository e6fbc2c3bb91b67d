import datetime

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Channel(models.Model):
    class Kind(models.TextChoices):
        SMS = "sms", _("SMS")
        WECHAT_TEMPLATE = "wechat_template", _("WeChat template message")
        MINIPROGRAM = "miniprogram", _("Mini-program subscription message")
        WECOM = "wecom", _("WeCom")
        EMAIL = "email", _("E-mail")
        PUSH = "push", _("App push")
        WEBHOOK = "webhook", _("Webhook")

    key = models.SlugField(_("key"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128)
    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    backend = models.CharField(_("backend"), max_length=32, default="console")
    config = models.JSONField(_("configuration"), default=dict, blank=True)
    secret = models.CharField(_("signing secret"), max_length=128, blank=True)
    cost_per_message = models.DecimalField(_("cost per message"), max_digits=8, decimal_places=4, default=0)
    rate_per_minute = models.PositiveIntegerField(_("send rate per minute"), null=True, blank=True)
    max_attempts = models.PositiveSmallIntegerField(
        _("attempts before giving up"), default=5, validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text=_("Transient provider errors are retried with growing pauses up to this many attempts."),
    )
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key"]
        verbose_name = _("channel")

    def __str__(self):
        return self.name or self.key


class Template(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=128, blank=True)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, related_name="templates")
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("body"))
    fields = models.JSONField(_("fields"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("template")

    def __str__(self):
        return self.slug


class Delivery(models.Model):
    """The outbox. The engine writes a row per send/webhook visit; the sender alone moves it on."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        CAPPED = "capped", _("Capped")
        DEFERRED = "deferred", _("Deferred")

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        WEBHOOK = "webhook", _("Webhook action")

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MESSAGE)
    # The engine writes a row per send step with ids it read in the same transaction (the enrolment
    # it holds locked, the channel and template it just looked up), so the database's six per-row
    # foreign-key checks are not kept: they were a third of the step's cost (docs/BENCHMARKS.md).
    # on_delete still applies, through Django's collector. The enrolment, member and journey
    # lookups use the composite indexes below, which start with those columns.
    enrollment = models.ForeignKey("journeys.Enrollment", on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="deliveries", db_index=False, db_constraint=False)
    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="deliveries", db_index=False,
                               db_constraint=False)
    journey = models.ForeignKey("journeys.Journey", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="deliveries", db_index=False, db_constraint=False)
    version = models.ForeignKey("journeys.JourneyVersion", on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+", db_index=False, db_constraint=False)
    node_key = models.CharField(max_length=64, blank=True)
    visit = models.PositiveIntegerField(default=0)
    variant = models.CharField(max_length=64, blank=True)
    channel = models.ForeignKey(Channel, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries",
                                db_constraint=False)
    template = models.ForeignKey(Template, on_delete=models.PROTECT, null=True, blank=True, related_name="deliveries",
                                 db_constraint=False)
    payload = models.JSONField(default=dict, blank=True)
    priority = models.IntegerField(default=0)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    reason = models.CharField(_("reason"), max_length=255, blank=True)
    scheduled_at = models.DateTimeField(_("send at"))
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    provider_message_id = models.CharField(max_length=128, blank=True)
    cost = models.DecimalField(max_digits=8, decimal_places=4, default=0)
    rendered = models.JSONField(_("rendered message"), default=dict, blank=True)
    # The send lease: set in the claim transaction before the provider is called, cleared when
    # the outcome is recorded. A row with a live lease is never picked up by another sender.
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        indexes = [
            models.Index(fields=["scheduled_at"], name="delivery_pending", condition=models.Q(status__in=["queued", "deferred"])),
            models.Index(fields=["member", "status", "sent_at"]),
            models.Index(fields=["journey", "node_key", "status"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["enrollment", "node_key", "visit"], name="delivery_once_per_visit")
        ]

    @property
    def idempotency_key(self):
        """Stable for the visit that wrote the row; the sender hands it to the provider."""
        return f"jc-{self.enrollment_id or 'x'}-{self.node_key or 'adhoc'}-{self.visit}-{self.pk}"


class QuietPeriod(models.Model):
    """A statutory holiday or do-not-disturb period: messages due in it wait until it is over.

    Dates are calendar days in the member's time zone (else the journey's); sending resumes on
    the day after `end_date` at `resume_at` local time.
    """

    name = models.CharField(_("name"), max_length=128)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    resume_at = models.TimeField(_("resume sending at"), default=datetime.time(9, 0))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date"]
        verbose_name = _("holiday / do-not-disturb period")
        constraints = [
            models.CheckConstraint(condition=models.Q(end_date__gte=models.F("start_date")), name="quietperiod_dates_ordered")
        ]

    def __str__(self):
        return f"{self.name} ({self.start_date}–{self.end_date})"
