"""The demo store: members, channels, templates, live journeys and weeks of history.

The history is not painted on: `simulate` moves a clock forward step by step and, at each step,
feeds the members' registrations and orders (drawn from `BehaviourModel`) through the real event
ingestion, then runs the real engine tick and the real sender at that moment. Reports, live
counters and member traces therefore show numbers the product itself produced.
"""

import logging
import random
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from journeys import clock, gallery
from journeys.models import Enrollment, Journey
from members.models import Member
from touchpoints.models import Channel, Delivery, Template

from .behaviour import SOURCES, BehaviourModel

PREFIX = "demo-"
CITIES = ["北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "南京", "西安", "苏州"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "洋", "艳", "勇", "军", "杰", "娟", "涛", "明", "超",
         "秀英", "霞", "平", "婷", "雪", "琳", "欣怡", "子涵", "浩然", "雨轩", "梓萱"]
STORES = ["朝阳大悦城店", "望京店", "徐汇店", "天河店", "南山店", "西湖店", "高新店"]
CHANNELS = [
    {"key": "sms", "name": "短信 SMS", "kind": "sms", "cost_per_message": "0.045"},
    {"key": "wechat", "name": "微信模板消息", "kind": "wechat_template", "cost_per_message": "0"},
    {"key": "miniprogram", "name": "小程序订阅消息", "kind": "miniprogram", "cost_per_message": "0"},
    {"key": "email", "name": "邮件 E-mail", "kind": "email", "cost_per_message": "0.002"},
]
TEMPLATES = [
    ("welcome-coupon", "sms", "【鲜到家】{{ member.name }}，新人券已到账：满49减15，3天内有效，点击领取。"),
    ("coupon-expiring", "wechat", "{{ member.name }}，您的新人券还有 2 天过期，别错过首单优惠。"),
    ("last-chance", "sms", "【鲜到家】最后机会：新人专享券今晚 24 点失效，退订回T。"),
    ("second-order-coupon", "wechat", "感谢首单！送您一张复购券：满59减10，14天内有效。"),
    ("recall-coupon", "wechat", "{{ member.name }}，好久不见！送您一张回归券：满69减20。"),
    ("we-miss-you", "sms", "【鲜到家】想您了！本周新鲜到货，会员专享 8.8 折。退订回T。"),
    ("replenish-reminder", "miniprogram", "您上次购买的奶粉快用完了吗？一键复购，次日达。"),
]
LIVE_TEMPLATES = ["onboarding", "high-value-recall"]


@dataclass
class SimMember:
    id: int
    external_id: str
    registered_at: object
    affinity: float
    never_buys: bool
    orders: int = 0
    last_order_at: object = None
    unsubscribed: bool = False


def exists():
    return Journey.objects.filter(description__startswith="[demo]").exists()


@transaction.atomic
def reset():
    # Members first: their enrolments PROTECT the journey versions the journeys would cascade to.
    Member.objects.filter(external_id__startswith=PREFIX).delete()
    Enrollment.objects.filter(journey__description__startswith="[demo]").delete()
    Journey.objects.filter(description__startswith="[demo]").delete()


def ensure_channels_and_templates():
    channels = {}
    for spec in CHANNELS:
        channels[spec["key"]], _ = Channel.objects.get_or_create(
            key=spec["key"], defaults={**spec, "backend": "console"})
    for slug, channel_key, body in TEMPLATES:
        Template.objects.get_or_create(slug=slug, defaults={"channel": channels[channel_key], "body": body, "name": slug})


def make_members(count, *, start, end, rng):
    """Members registered between start and end (more in the daytime), not yet known to journeys."""
    from members.services import upsert_members

    span = (end - start).total_seconds()
    items = []
    for i in range(count):
        moment = start + timedelta(seconds=rng.random() * span)
        local = timezone.localtime(moment)
        # Shift night-time registrations into the evening peak, as store QR codes and groups are.
        if local.hour < 8:
            moment += timedelta(hours=rng.choice([10, 12, 13]))
        source = rng.choices(list(SOURCES), weights=[4, 3, 2, 1])[0]
        items.append({
            "external_id": f"{PREFIX}{i:06d}",
            "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
            "phone": f"1{rng.choice('3578')}{rng.randint(100000000, 999999999)}",
            "attributes": {"city": rng.choice(CITIES), "source": source, "store": rng.choice(STORES),
                           "baby_months": rng.choice([None, 3, 6, 9, 12, 18])},
            "tags": rng.sample(["mother-baby", "fresh-food", "coupon-lover", "night-owl"], k=rng.randint(0, 2)),
            "registered_at": min(moment, end).isoformat(),
        })
    for chunk in range(0, len(items), 5000):
        upsert_members(items[chunk:chunk + 5000])
    return items


def publish_journeys(language="zh-hans"):
    from journeys.services import journey_create, journey_publish

    journeys = []
    for slug in LIVE_TEMPLATES:
        document = gallery.document(slug, language)
        document["description"] = f"[demo] {document.get('description', '')}"
        journey = journey_create(document=document)
        journey_publish(journey)
        journeys.append(journey)
    return journeys


def simulate(sim_members, *, start, end, step, model, rng, progress=None):
    """Drive the real ingestion, engine and sender from `start` to `end` under a simulated clock."""
    from journeys.tasks import run_tick
    from members.rfm import recompute
    from members.services import ingest_events
    from touchpoints import sender

    by_id = {m.id: m for m in sim_members}
    pending = sorted(sim_members, key=lambda m: m.registered_at)
    registered = []
    step_days = step.total_seconds() / 86400
    moment, event_seq, steps_total, step_no = start, 0, int((end - start) / step) + 1, 0
    while moment < end:
        upper = min(moment + step, end)
        events = []
        while pending and pending[0].registered_at <= upper:
            member = pending.pop(0)
            registered.append(member)
            events.append(_event(member, "registered", member.registered_at, {"source": "store_qr"}))
        nudges = _recent_nudges(moment, model.nudge_hours)
        for member in registered:
            if member.unsubscribed or member.registered_at > moment:
                continue
            messaged = nudges.get(member.id, ())
            if rng.random() < model.unsubscribe_chance(step_days=step_days, messaged=bool(messaged)):
                member.unsubscribed = True
                events.append(_event(member, "unsubscribed", _within(moment, step, rng), {}))
                continue
            if member.never_buys:
                continue
            chance = model.order_chance(
                step_days=step_days, affinity=member.affinity,
                days_since_registration=(moment - member.registered_at).total_seconds() / 86400,
                orders=member.orders,
                days_since_last_order=((moment - member.last_order_at).total_seconds() / 86400) if member.last_order_at else 0,
                nudges=messaged,
            )
            if rng.random() < chance:
                at = _within(moment, step, rng)
                member.orders += 1
                member.last_order_at = at
                events.append(_event(member, "order_paid", at, {"store": "app", "items": rng.randint(1, 6)},
                                     value=model.order_value(rng)))
        events.sort(key=lambda e: e["occurred_at"])
        for event in events:
            event_seq += 1
            event["id"] = f"{PREFIX}evt-{event_seq}"
        with clock.frozen(upper):
            if events:
                ingest_events(events)
            if timezone.localtime(upper).date() != timezone.localtime(moment).date():
                recompute(now=upper)  # the nightly RFM/lifecycle job, as beat runs it
            run_tick(upper)
            sender.run()
        moment = upper
        step_no += 1
        if progress and (step_no % 20 == 0 or moment >= end):
            progress(step_no, steps_total)
    return by_id


def _event(member, name, at, properties, value=None):
    item = {"member": member.external_id, "name": name, "properties": properties, "occurred_at": at.isoformat()}
    if value is not None:
        item["value"] = value
    return item


def _within(moment, step, rng):
    return moment + timedelta(seconds=rng.random() * step.total_seconds())


def _recent_nudges(moment, hours):
    """member id → template slugs of messages sent to them in the last `hours` (one query)."""
    nudges = {}
    rows = Delivery.objects.filter(
        status__in=[Delivery.Status.SENT, Delivery.Status.DELIVERED],
        sent_at__gt=moment - timedelta(hours=hours), sent_at__lte=moment, template__isnull=False,
    ).values_list("member_id", "template__slug")
    for member_id, slug in rows:
        nudges.setdefault(member_id, []).append(slug)
    return nudges


def build(*, members=10000, days=60, seed=7, step_hours=8, model=None, progress=None, now=None):
    """Create the whole demo world ending at `now`; returns a summary dict."""
    rng = random.Random(seed)
    model = model or BehaviourModel()
    end = now or timezone.now()
    start = end - timedelta(days=days)
    ensure_channels_and_templates()
    with clock.frozen(start):
        publish_journeys()
    items = make_members(members, start=start, end=end, rng=rng)
    ids = dict(Member.objects.filter(external_id__startswith=PREFIX).values_list("external_id", "id"))
    sim_members = [
        SimMember(
            id=ids[item["external_id"]], external_id=item["external_id"],
            registered_at=timezone.datetime.fromisoformat(item["registered_at"]),
            affinity=model.affinity(item["attributes"]["source"]),
            never_buys=rng.random() < model.never_buyer_share,
        )
        for item in items
    ]
    with quiet("touchpoints.console"):
        simulate(sim_members, start=start, end=end, step=timedelta(hours=step_hours), model=model, rng=rng, progress=progress)
    return {
        "members": len(sim_members),
        "orders": sum(m.orders for m in sim_members),
        "buyers": sum(1 for m in sim_members if m.orders),
        "deliveries": Delivery.objects.filter(member__external_id__startswith=PREFIX).count(),
    }


@contextmanager
def quiet(logger_name):
    """Simulated history is not live traffic: don't print every console message it sends."""
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)
