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

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="events")
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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("segment")

    def __str__(self):
        return self.name
