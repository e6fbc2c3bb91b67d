"""The sender: drains the outbox the engine writes, at most once per delivery.

One pass (`run`) repeats three steps per batch:

1. **Claim** (one transaction). Due rows (`queued`/`deferred`, `scheduled_at <= clock.now()`,
   no live lease, journey not paused) are locked with `SELECT … FOR UPDATE SKIP LOCKED`, so
   concurrent senders take disjoint batches. Per-member and per-channel advisory locks make the
   frequency cap and the rate limit see the other senders' claims. Every policy is applied here:
   opt-out → `failed` "opted out"; holiday calendar and quiet hours → `deferred` with a new
   `scheduled_at`; bad template → `failed`; frequency cap (journey priority first) → `capped`;
   channel rate → stays `queued` for the next minute. Rows that will be sent get a lease
   (`claimed_at`, `claim_token`), `attempts + 1` and their rendered text, and the transaction
   commits **before** any provider is called.
2. **Send**, outside any transaction, `SEND_CONCURRENCY` calls at a time, handing each provider
   the delivery's idempotency key.
3. **Record** (one transaction): `sent` with the provider's id and cost; a permanent error →
   `failed`; a transient one → back to `queued` at `now + backoff(attempts)` until the channel's
   `max_attempts`, then `failed`. Only rows still holding this pass's `claim_token` are written.

The remaining window, honestly: if a sender dies after step 1 and before step 3 commits, the row
keeps its lease and nobody touches it for `LEASE`. After that it is recovered without applying
the policies again: for backends that pass our idempotency key to a provider that
de-duplicates on it (webhook, SMS/WeChat/mini-program/WeCom/push gateways) it is sent again
with the *same* key, so the member gets one message provided the provider honours the key; for
backends without such a key (console, e-mail) it is marked `failed` with reason "outcome
unknown" — the message went out at most once, but may in fact have gone out. A sender that
takes longer than `LEASE` for one batch would let a second sender re-send; the provider timeout
(10 s by default, 60 s at most) times BATCH_SIZE / SEND_CONCURRENCY (25 rounds) stays below it.
"""

import json
import logging
import uuid
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q
from django.utils import translation

from journeys import clock
from journeys.models import Journey, JourneyVersion
from members.models import MemberTag

from . import policies
from .channels.base import ChannelError, ConfigError, Message, TransientError
from .channels.http import check_url
from .channels.registry import get_backend
from .channels.webhook import WebhookBackend
from .models import Channel, Delivery, QuietPeriod
from .templating import TemplateError, build_context, check_rendered, render_template

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
MAX_BATCHES_PER_RUN = 25
# Provider calls are network-bound and touch no database, so a batch sends them side by side.
SEND_CONCURRENCY = 8
LEASE = timedelta(minutes=15)
ACTION_WEBHOOK_CHANNEL = "webhook"

# Advisory-lock namespaces (first key of pg_advisory_xact_lock(int, int)).
LOCK_MEMBER, LOCK_CHANNEL = 0x4A43, 0x4A44

RECIPIENT_LABELS = {
    "sms": "phone number", "email": "e-mail address", "wechat_template": "WeChat openid",
    "miniprogram": "mini-program openid", "wecom": "WeCom user id", "push": "push token",
}

S = Delivery.Status


@dataclass
class PassStats:
    sent: int = 0
    failed: int = 0
    capped: int = 0
    deferred: int = 0
    retried: int = 0
    postponed: int = 0
    batches: int = 0
    by_reason: Counter = field(default_factory=Counter)

    def add(self, other):
        for name in ("sent", "failed", "capped", "deferred", "retried", "postponed", "batches"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.by_reason.update(other.by_reason)


@dataclass
class Claimed:
    delivery: Delivery
    channel: Channel
    message: Message
    url: str | None = None


def recipient_for(kind, member):
    attributes = member.attributes or {}
    return {
        "sms": member.phone,
        "email": member.email,
        "wechat_template": member.wechat_openid,
        "miniprogram": member.miniprogram_openid,
        "wecom": str(attributes.get("wecom_userid") or ""),
        "push": str(attributes.get("push_token") or ""),
    }.get(kind, member.external_id)


def run(*, batch_size=BATCH_SIZE, max_batches=MAX_BATCHES_PER_RUN):
    """Drains due deliveries until none is left or `max_batches` were handled."""
    total = PassStats()
    for _ in range(max_batches):
        stats = run_batch(batch_size=batch_size)
        if not stats.batches:
            break
        total.add(stats)
    return total


def run_batch(*, batch_size=BATCH_SIZE):
    # Reasons are stored data read by every operator: keep them in one language (the worker's
    # default language is the site's, which may differ from the operator's).
    with translation.override("en"):
        now = clock.now()
        stats = PassStats()
        token = uuid.uuid4()
        claimed = _claim(now, token, batch_size, stats)
        if claimed is None:
            return stats
        stats.batches = 1
        with ThreadPoolExecutor(max_workers=SEND_CONCURRENCY) as pool:
            outcomes = list(zip(claimed, pool.map(_send, claimed)))
        _record(outcomes, token, stats)
        return stats


# --- step 1: claim ----------------------------------------------------------------------------

def _claim(now, token, batch_size, stats):
    with transaction.atomic():
        rows = list(
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(status__in=(S.QUEUED, S.DEFERRED), scheduled_at__lte=now)
            .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - LEASE))
            .exclude(journey__status=Journey.Status.PAUSED)
            .select_related("channel", "template", "member", "journey")
            .order_by("scheduled_at", "-priority", "id")[:batch_size]
        )
        if not rows:
            return None
        _lock_counters(rows)
        batch = _BatchContext.load(rows, now)
        decided, to_send = [], []
        for delivery in _policy_order(rows):
            item = batch.decide(delivery)
            decided.append(delivery)
            if item is not None:
                delivery.claimed_at, delivery.claim_token = now, token
                delivery.attempts += 1
                to_send.append(item)
            else:
                stats.by_reason[delivery.reason] += 1
                if delivery.status == S.FAILED:
                    stats.failed += 1
                elif delivery.status == S.CAPPED:
                    stats.capped += 1
                elif delivery.status == S.DEFERRED:
                    stats.deferred += 1
                else:
                    stats.postponed += 1
        _write(decided, ("status", "reason", "scheduled_at", "claimed_at", "claim_token", "attempts", "rendered"))
    return to_send


def _policy_order(rows):
    """Journey priority decides who gets a capped member's last slot; then the older send."""
    return sorted(rows, key=lambda d: (-d.priority, d.scheduled_at, d.id))


def _lock_counters(rows):
    """Serialises concurrent senders per member, and per rate-limited channel, while they count and claim.

    Without it two senders could each see the member one message under the cap (or the channel
    one under its rate) and both send. Channels without a rate limit are not locked, so senders
    sharing a busy channel still claim side by side.
    """
    if connection.vendor != "postgresql":
        return  # SQLite has one writer at a time anyway
    members = sorted({d.member_id for d in rows})
    channels = sorted({d.channel_id for d in rows if d.channel_id and d.channel.rate_per_minute})
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(ns, (k %% 2147483647)::int) FROM ("
            " SELECT * FROM (SELECT %s AS ns, unnest(%s::bigint[]) AS k UNION ALL SELECT %s, unnest(%s::bigint[])) u"
            " ORDER BY ns, k) t",
            [LOCK_MEMBER, members, LOCK_CHANNEL, channels],
        )


class _BatchContext:
    """Everything the policies need for one batch, read with a fixed number of queries."""

    def __init__(self, now):
        self.now = now
        self.settings = {}
        self.tags = defaultdict(list)
        self.periods = []
        self.history = defaultdict(list)   # member id → send moments (sent, delivered, in flight)
        self.minute_counts = Counter()     # channel id → sends in the current minute
        self.action_channel = None

    @classmethod
    def load(cls, rows, now):
        self = cls(now)
        messages = [d for d in rows if d.kind == Delivery.Kind.MESSAGE]
        version_ids = {d.version_id for d in rows if d.version_id}
        self.settings = {
            vid: s or {} for vid, s in JourneyVersion.objects.filter(id__in=version_ids).values_list("id", "document__settings")
        }
        member_ids = {d.member_id for d in messages}
        for member_id, name in MemberTag.objects.filter(member_id__in=member_ids).values_list("member_id", "tag__name"):
            self.tags[member_id].append(name)
        if messages:
            self.periods = [
                policies.Period(p.name, p.start_date, p.end_date, p.resume_at)
                for p in QuietPeriod.objects.filter(end_date__gte=(now - timedelta(days=2)).date())
            ]
        longest = max((cap[1] for cap in map(self.cap_of, messages) if cap), default=0)
        if longest:
            since = now - timedelta(hours=longest)
            in_flight = Q(status__in=(S.QUEUED, S.DEFERRED), claimed_at__gte=now - LEASE)
            recent = (
                Delivery.objects.filter(member_id__in=member_ids, kind=Delivery.Kind.MESSAGE)
                .filter(Q(status__in=(S.SENT, S.DELIVERED), sent_at__gte=since) | in_flight)
                .exclude(id__in=[d.id for d in rows])
                .values_list("member_id", "sent_at", "claimed_at")
            )
            for member_id, sent_at, claimed_at in recent:
                self.history[member_id].append(sent_at or claimed_at)
        limited = {d.channel_id for d in messages if d.channel and d.channel.rate_per_minute}
        if limited:
            minute = now.replace(second=0, microsecond=0)
            counted = (
                Delivery.objects.filter(channel_id__in=limited)
                .filter(Q(sent_at__gte=minute) | Q(status__in=(S.QUEUED, S.DEFERRED), claimed_at__gte=minute))
                .exclude(id__in=[d.id for d in rows])
                .values_list("channel_id", flat=True)
            )
            self.minute_counts.update(counted)
        if any(d.kind == Delivery.Kind.WEBHOOK and not d.channel for d in rows):
            self.action_channel = Channel.objects.filter(key=ACTION_WEBHOOK_CHANNEL).first() or Channel(
                key=ACTION_WEBHOOK_CHANNEL, name="webhook", kind=Channel.Kind.WEBHOOK, backend="webhook"
            )
        return self

    def settings_of(self, delivery):
        return self.settings.get(delivery.version_id, {}) if delivery.version_id else {}

    def cap_of(self, delivery):
        return policies.parse_cap(self.settings_of(delivery).get("frequency_cap"))

    # -- the decision for one row: returns a Claimed to send, or None (row updated in place) --

    def decide(self, delivery):
        if delivery.claimed_at is not None:
            return self._recover(delivery)
        if delivery.kind == Delivery.Kind.WEBHOOK:
            return self._action_webhook(delivery)
        return self._message(delivery)

    def _finish(self, delivery, status, reason):
        delivery.status, delivery.reason = status, reason[:255]
        return None

    def _defer(self, delivery, until, reason):
        delivery.status, delivery.reason, delivery.scheduled_at = S.DEFERRED, reason[:255], until
        return None

    def _recover(self, delivery):
        """A lease that ran out: the previous sender died between claim and record."""
        channel = delivery.channel or self.action_channel
        try:
            backend = get_backend(channel.backend) if channel else None
        except ConfigError:
            backend = None
        if backend is None or not backend.idempotent:
            delivery.claimed_at = delivery.claim_token = None
            return self._finish(delivery, S.FAILED, "outcome unknown: the sender stopped while sending; not re-sent to avoid a duplicate")
        message = Message(**delivery.rendered["message"]) if "message" in delivery.rendered else None
        if message is None:
            delivery.claimed_at = delivery.claim_token = None
            return self._finish(delivery, S.FAILED, "outcome unknown: nothing recorded of the interrupted send")
        return Claimed(delivery, channel, message, url=delivery.rendered.get("url"))

    def _action_webhook(self, delivery):
        channel = delivery.channel or self.action_channel
        url = str((delivery.payload or {}).get("url") or "")
        try:
            check_url(url)
        except ConfigError:
            return self._finish(delivery, S.FAILED, f"bad webhook url {url[:100]!r}")
        member = delivery.member
        message = Message(
            delivery_id=delivery.id, idempotency_key=delivery.idempotency_key, recipient=member.external_id, body="",
            fields={k: v for k, v in (delivery.payload or {}).items() if k != "url"},
            member={"external_id": member.external_id, "name": member.name},
            journey={"id": delivery.journey_id, "node": delivery.node_key, "variant": delivery.variant},
        )
        delivery.rendered = {"message": asdict(message), "url": url}
        return Claimed(delivery, channel, message, url=url)

    def _message(self, delivery):
        channel, member, now = delivery.channel, delivery.member, self.now
        if channel is None or delivery.template is None:
            return self._finish(delivery, S.FAILED, "no channel or template")
        if not channel.enabled:
            return self._finish(delivery, S.FAILED, "channel disabled")
        if policies.opted_out(member.opted_out, channel):
            return self._finish(delivery, S.FAILED, "opted out")
        try:
            backend = get_backend(channel.backend)
        except ConfigError as exc:
            return self._finish(delivery, S.FAILED, str(exc))
        recipient = recipient_for(channel.kind, member)
        if not recipient and backend.name != "console":
            return self._finish(delivery, S.FAILED, f"the member has no {RECIPIENT_LABELS.get(channel.kind, 'address')}")
        journey_settings = self.settings_of(delivery)
        tz = policies.member_zone(member.timezone, journey_settings)
        holiday = policies.holiday_end(now, tz, self.periods)
        if holiday:
            return self._defer(delivery, holiday[0], f"holiday: {holiday[1]}")
        quiet_end = policies.quiet_hours_end(now, tz, journey_settings.get("quiet_hours"))
        if quiet_end:
            return self._defer(delivery, quiet_end, "quiet hours")
        journey = {"id": delivery.journey_id, "name": delivery.journey.name} if delivery.journey else None
        context = build_context(member, tags=self.tags.get(member.id, ()), journey=journey, node_key=delivery.node_key,
                                variant=delivery.variant, coupon_code=str((delivery.payload or {}).get("coupon_code") or ""))
        try:
            rendered = render_template(delivery.template, context)
        except TemplateError as exc:
            return self._finish(delivery, S.FAILED, f"template error: {exc}")
        report = check_rendered(channel, rendered)
        if not report.ok:
            first = next(iter(report.errors.values()))[0]
            return self._finish(delivery, S.FAILED, f"template check: {first}")
        cap = self.cap_of(delivery)
        if cap:
            limit, hours = cap
            since = now - timedelta(hours=hours)
            if sum(1 for moment in self.history[member.id] if moment >= since) >= limit:
                return self._finish(delivery, S.CAPPED, f"frequency cap: {limit} per {hours:g} h")
        if channel.rate_per_minute and self.minute_counts[channel.id] >= channel.rate_per_minute:
            delivery.status, delivery.reason = S.QUEUED, f"rate limit: {channel.rate_per_minute} per minute"
            delivery.scheduled_at = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
            return None
        self.history[member.id].append(now)
        self.minute_counts[channel.id] += 1
        message = Message(
            delivery_id=delivery.id, idempotency_key=delivery.idempotency_key,
            recipient=recipient or member.external_id, subject=rendered.subject, body=rendered.body, fields=rendered.fields,
            member={"external_id": member.external_id, "name": member.name},
            journey={"id": delivery.journey_id, "node": delivery.node_key, "variant": delivery.variant},
        )
        delivery.status, delivery.reason = S.QUEUED, ""
        delivery.rendered = {"message": asdict(message)}
        return Claimed(delivery, channel, message)


# --- step 2: send -----------------------------------------------------------------------------

def _send(item):
    try:
        if item.url is not None:
            return WebhookBackend().send(item.channel, item.message, url=item.url)
        return get_backend(item.channel.backend).send(item.channel, item.message)
    except ChannelError as exc:
        return exc
    except Exception as exc:  # a backend bug must not strand the batch: retry like a transient error
        logger.exception("channel %s backend %s raised", item.channel.key, item.channel.backend)
        return TransientError(f"{type(exc).__name__}: {exc}")


# --- step 3: record ---------------------------------------------------------------------------

def _record(outcomes, token, stats):
    now = clock.now()
    with transaction.atomic():
        mine = set(
            Delivery.objects.select_for_update()
            .filter(id__in=[item.delivery.id for item, _ in outcomes], claim_token=token)
            .values_list("id", flat=True)
        )
        updated = []
        for item, outcome in outcomes:
            delivery = item.delivery
            if delivery.id not in mine:
                continue
            delivery.claimed_at = delivery.claim_token = None
            if isinstance(outcome, ChannelError):
                max_attempts = item.channel.max_attempts or 1
                if outcome.permanent or delivery.attempts >= max_attempts:
                    prefix = "" if outcome.permanent else f"gave up after {delivery.attempts} attempts: "
                    delivery.status, delivery.reason = S.FAILED, f"{prefix}{outcome}"[:255]
                    stats.failed += 1
                else:
                    delivery.status = S.QUEUED
                    delivery.reason = f"retry {delivery.attempts}/{max_attempts}: {outcome}"[:255]
                    delivery.scheduled_at = now + policies.backoff(delivery.attempts)
                    stats.retried += 1
                stats.by_reason[delivery.reason.split(":")[0]] += 1
            else:
                delivery.status, delivery.reason, delivery.sent_at = S.SENT, "", now
                delivery.provider_message_id = (outcome.provider_message_id or "")[:128]
                delivery.cost = item.channel.cost_per_message
                stats.sent += 1
            updated.append(delivery)
        _write(updated, ("status", "reason", "scheduled_at", "sent_at", "provider_message_id", "cost", "claimed_at", "claim_token"))


PG_TYPES = {"status": "text", "reason": "text", "scheduled_at": "timestamptz", "claimed_at": "timestamptz",
            "claim_token": "uuid", "attempts": "integer", "rendered": "jsonb", "sent_at": "timestamptz",
            "provider_message_id": "text", "cost": "numeric"}


def _write(rows, fields):
    """One UPDATE for the whole batch (Django's bulk_update builds a CASE per row and field: 10× slower)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        Delivery.objects.bulk_update(rows, fields)
        return
    columns = [[row.id for row in rows]]
    for name in fields:
        values = [getattr(row, name) for row in rows]
        # jsonb travels as text: psycopg would otherwise send a Python dict list as a composite.
        if PG_TYPES[name] == "jsonb":
            values = [json.dumps(v) for v in values]
        elif PG_TYPES[name] == "numeric":
            values = [None if v is None else Decimal(v) for v in values]  # psycopg refuses int/Decimal mixes
        columns.append(values)
    unnest = ", ".join(["%s::bigint[]"] + [f"%s::{'text' if PG_TYPES[n] == 'jsonb' else PG_TYPES[n]}[]" for n in fields])
    assignments = ", ".join(f"{n} = u.{n}{'::jsonb' if PG_TYPES[n] == 'jsonb' else ''}" for n in fields)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE touchpoints_delivery AS d SET {assignments} FROM unnest({unnest}) AS u(id, {', '.join(fields)}) "
            "WHERE d.id = u.id",
            columns,
        )
