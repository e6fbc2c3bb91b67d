"""Writes of the touchpoints app: channels, templates, receipts, the calendar, test sends.

Views, forms and serializers stay thin and call these. Errors are `TouchpointError` with a
`{field: message}` dict so the API answers 400 and a page shows the message at the field.
"""

import uuid
from datetime import timedelta

from django.db import transaction
from django.utils.translation import gettext as _
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from accounts import audit
from journeys import clock
from members.models import Member

from .channels.base import ChannelError, ConfigError, Message
from .channels.registry import BACKENDS, backends_for_kind, get_backend
from .models import Channel, Delivery, QuietPeriod, Template
from .sender import recipient_for
from .templating import TemplateError, build_context, check_rendered, check_structure, render_template

ALL_SECRET_FIELDS = set().union(*(backend.secret_field_names() for backend in BACKENDS.values()))


class TouchpointError(ValueError):
    def __init__(self, errors):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --- channels ---------------------------------------------------------------------------------

def public_config(channel):
    """The config without credentials: secrets are write-only."""
    return {k: v for k, v in (channel.config or {}).items() if k not in ALL_SECRET_FIELDS}


def credentials_set(channel):
    return sorted(k for k in (channel.config or {}) if k in ALL_SECRET_FIELDS and channel.config[k] not in ("", None))


# Page paths next to /touchpoints/channels/<key>/ and /touchpoints/templates/<slug>/.
RESERVED_PATHS = {"new", "preview"}

CHANNEL_FIELDS = ("name", "kind", "backend", "cost_per_message", "rate_per_minute", "max_attempts", "enabled")


def _audit_fields(data):
    """Which fields a save named, for the audit log: names only, never values (credentials)."""
    fields = sorted(k for k in data if k not in ("config", "secret"))
    if "config" in data:
        fields.append("config")
    if data.get("secret"):
        fields.append("secret")
    return fields


def save_channel(data, *, instance=None, user=None):
    """Creates or updates a channel from validated plain values.

    `config` replaces the non-secret settings; credential keys absent from it keep their stored
    value (a form or a GET→PUT round trip never sees them). `secret` is only replaced when given.
    """
    channel = instance or Channel(key=data.get("key", ""))
    if instance is None and channel.key in RESERVED_PATHS:
        raise TouchpointError({"key": _("%(key)r is reserved by the pages; choose another key") % {"key": channel.key}})
    if instance is not None and data.get("key") not in (None, instance.key):
        raise TouchpointError({"key": _("the key of a channel cannot change: journeys refer to it")})
    if instance is None and Channel.objects.filter(key=channel.key).exists():
        raise TouchpointError({"key": _("a channel with the key %(key)r already exists") % {"key": channel.key}})
    for name in CHANNEL_FIELDS:
        if name in data:
            setattr(channel, name, data[name])
    if not channel.name:
        channel.name = channel.key
    if "config" in data:
        new_config = {} if data["config"] is None else data["config"]
        if not isinstance(new_config, dict):
            raise TouchpointError({"config": _("config must be a JSON object")})
        kept = {k: v for k, v in (channel.config or {}).items() if k in ALL_SECRET_FIELDS and k not in new_config}
        channel.config = {**new_config, **kept}
    backend_secrets = BACKENDS[channel.backend].secret_field_names() if channel.backend in BACKENDS else set()
    # Credentials of a backend the channel no longer uses must not linger (and fail validation).
    channel.config = {k: v for k, v in channel.config.items() if k not in ALL_SECRET_FIELDS or k in backend_secrets}
    if data.get("secret"):
        channel.secret = data["secret"]
    if channel.kind not in Channel.Kind.values:
        raise TouchpointError({"kind": _("unknown kind %(kind)r; expected one of %(kinds)s") % {"kind": channel.kind, "kinds": ", ".join(Channel.Kind.values)}})
    backend = BACKENDS.get(channel.backend)
    if backend is None or (backend.kinds is not None and channel.kind not in backend.kinds):
        raise TouchpointError({"backend": _("backend %(backend)r cannot send %(kind)r messages; use one of %(backends)s")
                               % {"backend": channel.backend, "kind": channel.kind,
                                  "backends": ", ".join(backends_for_kind(channel.kind))}})
    try:
        backend.validate_config(channel.config)
    except ConfigError as exc:
        raise TouchpointError({"config": str(exc)}) from None
    with transaction.atomic():
        channel.save()
        audit.record(user, "changed" if instance is not None else "created", channel, fields=_audit_fields(data))
    return channel


# --- templates --------------------------------------------------------------------------------

TEMPLATE_FIELDS = ("name", "channel", "subject", "body", "fields")


def save_template(data, *, instance=None, user=None):
    template = instance or Template(slug=data.get("slug", ""))
    if instance is None and template.slug in RESERVED_PATHS:
        raise TouchpointError({"slug": _("%(slug)r is reserved by the pages; choose another slug") % {"slug": template.slug}})
    if instance is not None and data.get("slug") not in (None, instance.slug):
        raise TouchpointError({"slug": _("the slug of a template cannot change: journeys refer to it")})
    if instance is None and Template.objects.filter(slug=template.slug).exists():
        raise TouchpointError({"slug": _("a template with the slug %(slug)r already exists") % {"slug": template.slug}})
    for name in TEMPLATE_FIELDS:
        if name in data:
            setattr(template, name, data[name] if data[name] is not None else "")
    template.fields = template.fields or {}
    report = check_structure(template.channel, template.subject, template.body, template.fields)
    if not report.ok:
        raise TouchpointError({k: " ".join(v) for k, v in report.errors.items()})
    with transaction.atomic():
        template.save()
        audit.record(user, "changed" if instance is not None else "created", template, fields=_audit_fields(data))
    return template


def preview(channel, subject, body, fields, member, *, journey=None, variant="", coupon_code=""):
    """Renders an unsaved template for a real member: (rendered or None, CheckReport)."""
    report = check_structure(channel, subject, body, fields)
    if not report.ok:
        return None, report
    tags = list(member.tags.values_list("name", flat=True)) if member else []
    context = build_context(member, tags=tags, journey=journey, variant=variant, coupon_code=coupon_code)
    try:
        rendered = render_template(Template(channel=channel, subject=subject, body=body, fields=fields), context)
    except TemplateError as exc:
        where = str(exc).split(":", 1)[0].split(".", 1)[0]
        report.error(where if where in ("subject", "body", "fields") else "body", str(exc))
        return None, report
    return rendered, check_rendered(channel, rendered, report)


def send_test(channel, member, *, subject="", body):
    """Sends one message through the channel's backend right now, outside the outbox."""
    backend = get_backend(channel.backend)
    recipient = recipient_for(channel.kind, member) or member.external_id
    rendered, report = preview(channel, subject, body, {}, member)
    if rendered is None:
        raise TouchpointError({k: " ".join(v) for k, v in report.errors.items()})
    message = Message(delivery_id=None, idempotency_key=f"jc-test-{uuid.uuid4().hex}", recipient=recipient,
                      subject=rendered.subject, body=rendered.body, fields=rendered.fields,
                      member={"external_id": member.external_id, "name": member.name})
    try:
        return backend.send(channel, message)
    except ChannelError as exc:
        message = _("permanent error: %(error)s") if exc.permanent else _("transient error: %(error)s")
        raise TouchpointError({"__all__": message % {"error": exc}}) from None


# --- receipts ---------------------------------------------------------------------------------

RECEIPT_STATUSES = ("delivered", "clicked", "failed")
NEVER_SENT = (Delivery.Status.QUEUED, Delivery.Status.DEFERRED, Delivery.Status.CAPPED)


def signing_channel(delivery):
    """The channel whose secret signs this delivery's receipts (action webhooks: the 'webhook' channel)."""
    if delivery.channel_id:
        return delivery.channel
    return Channel.objects.filter(key="webhook").first()


def record_receipt(delivery_id, status):
    """Applies a verified provider receipt; a delivery or click also becomes a member event.

    Repeated receipts are harmless: timestamps keep their first value and the events carry an
    idempotency id, so journeys waiting on `message_delivered`/`message_clicked` wake once.
    """
    from members.services import ingest_events

    S = Delivery.Status
    now = clock.now()
    with transaction.atomic():
        delivery = Delivery.objects.select_for_update(of=("self",)).select_related("member", "channel").get(id=delivery_id)
        if delivery.status in NEVER_SENT and delivery.claimed_at is None:
            raise TouchpointError({"delivery": _("delivery %(id)s has not been sent (status %(status)s)") % {"id": delivery.id, "status": delivery.status}})
        events = []
        if status == "failed":
            delivery.status, delivery.reason = S.FAILED, "the provider reported a failure"
        else:
            if delivery.delivered_at is None:
                delivery.delivered_at = now
                events.append("message_delivered")
            if status == "clicked" and delivery.clicked_at is None:
                delivery.clicked_at = now
                events.append("message_clicked")
            delivery.status = S.DELIVERED
            if delivery.reason.startswith("outcome unknown"):
                delivery.reason = ""
        delivery.save(update_fields=["status", "reason", "delivered_at", "clicked_at"])
        properties = {"delivery": delivery.id, "journey": delivery.journey_id, "node": delivery.node_key,
                      "channel": delivery.channel.key if delivery.channel else ""}
        if events:
            ingest_events([
                {"id": f"jc-receipt-{delivery.id}-{name}", "member": delivery.member.external_id, "name": name,
                 "properties": properties, "occurred_at": now.isoformat()}
                for name in events
            ])
    return delivery


# --- calendar ---------------------------------------------------------------------------------

def save_quiet_period(data, *, instance=None):
    period = instance or QuietPeriod()
    for name in ("name", "start_date", "end_date", "resume_at"):
        if name in data:
            setattr(period, name, data[name])
    if period.end_date < period.start_date:
        raise TouchpointError({"end_date": _("the last day cannot be before the first day")})
    period.save()
    return period


def delete_quiet_period(period):
    period.delete()


# --- reads for the pages ----------------------------------------------------------------------

def daily_volume(*, days=14, now=None):
    """Per channel and day (operator's local date): messages sent and their cost."""
    now = now or clock.now()
    since = now - timedelta(days=days)
    return list(
        Delivery.objects.filter(sent_at__gte=since, channel__isnull=False)
        .annotate(day=TruncDate("sent_at"))
        .values("day", "channel__key", "channel__name")
        .annotate(count=Count("id"), cost=Sum("cost"))
        .order_by("-day", "channel__key")
    )


def member_for_preview(external_id):
    if external_id:
        member = Member.objects.filter(external_id=external_id).first()
        if member:
            return member
    return Member.objects.order_by("-id").first()

