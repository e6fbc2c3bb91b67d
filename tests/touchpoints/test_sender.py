import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from journeys import clock
from tests.conftest import ROOT, child_env, database_url_of, wait_until
from tests.factories import ChannelFactory, MemberFactory, TemplateFactory
from tests.touchpoints.factories import DeliveryFactory, QuietPeriodFactory, version_with_settings
from touchpoints import sender
from touchpoints.models import Delivery
from touchpoints.tasks import send_due

NOON = datetime(2026, 3, 10, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


@pytest.fixture
def hook(provider, db):
    return ChannelFactory(key="hook", name="Hook", kind="webhook", backend="webhook",
                          config={"url": provider.url}, secret="s3cret", max_attempts=3)


def queued(*channel, at=NOON, **kwargs):
    """A due delivery; the channel (positional) may be omitted, or given as channel=None."""
    fields = {"scheduled_at": at, "created_at": at, **kwargs}
    if channel:
        fields["channel"] = channel[0]
    return DeliveryFactory(**fields)


def run_at(at):
    with clock.frozen(at):
        return sender.run()


def test_webhook_message_carries_an_hmac_signature_of_the_body_and_the_idempotency_key(hook, provider):
    delivery = queued(hook)
    run_at(NOON)
    [request] = provider.requests
    expected = "sha256=" + hmac.new(b"s3cret", request["raw"], hashlib.sha256).hexdigest()
    assert request["headers"]["X-Journey-Signature"] == expected
    assert request["headers"]["Idempotency-Key"] == delivery.idempotency_key
    assert request["json"]["sent_at"] == int(request["headers"]["X-Journey-Timestamp"])
    assert request["json"]["delivery"] == delivery.id
    delivery.refresh_from_db()
    assert (delivery.status, delivery.sent_at, delivery.attempts, delivery.provider_message_id) == ("sent", NOON, 1, "prov-1")


def test_a_5xx_answer_is_retried_after_a_backoff_recorded_in_the_database(hook, provider):
    provider.answer((503, {"error": "busy"}))
    delivery = queued(hook)
    run_at(NOON)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.scheduled_at) == ("queued", 1, NOON + timedelta(seconds=30))
    assert delivery.reason.startswith("retry 1/3: HTTP 503")
    run_at(NOON + timedelta(seconds=10))
    assert len(provider.requests) == 1
    run_at(NOON + timedelta(seconds=30))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(provider.requests)) == ("sent", 2, 2)
    assert {r["headers"]["Idempotency-Key"] for r in provider.requests} == {delivery.idempotency_key}


def test_a_permanent_4xx_answer_fails_the_delivery_without_a_retry(hook, provider):
    provider.answer((400, {"error": "bad recipient"}))
    delivery = queued(hook)
    run_at(NOON)
    run_at(NOON + timedelta(hours=2))
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.reason.startswith("HTTP 400")
    assert (delivery.attempts, len(provider.requests)) == (1, 1)


def test_transient_errors_stop_at_the_channels_attempt_cap(hook, provider):
    provider.answer((502, {}), (503, {}), (504, {}))
    delivery = queued(hook)
    for minutes in (0, 1, 3, 10):
        run_at(NOON + timedelta(minutes=minutes))
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, len(provider.requests)) == ("failed", 3, 3)
    assert delivery.reason.startswith("gave up after 3 attempts: HTTP 504")


def test_a_crash_between_claim_and_record_ends_with_exactly_one_delivered_message(hook, provider, monkeypatch):
    delivery = queued(hook)

    def worker_dies(*args, **kwargs):
        raise SystemExit("worker killed after the provider call, before the outcome was committed")

    monkeypatch.setattr(sender, "_record", worker_dies)
    with pytest.raises(SystemExit):
        run_at(NOON)
    monkeypatch.undo()
    delivery.refresh_from_db()
    assert delivery.claimed_at == NOON and delivery.status == "queued"

    run_at(NOON + timedelta(minutes=5))  # the lease still holds: nobody re-sends
    assert len(provider.requests) == 1

    run_at(NOON + sender.LEASE + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == "sent" and delivery.claimed_at is None
    assert [r["headers"]["Idempotency-Key"] for r in provider.requests] == [delivery.idempotency_key] * 2
    assert provider.delivered_keys() == {delivery.idempotency_key}
    run_at(NOON + timedelta(hours=3))
    assert len(provider.requests) == 2


def test_a_console_send_interrupted_mid_way_is_marked_failed_and_never_sent_again(db, monkeypatch, caplog):
    delivery = queued(ChannelFactory(key="sms", kind="sms", backend="console"))
    monkeypatch.setattr(sender, "_record", lambda *a, **k: (_ for _ in ()).throw(SystemExit("killed")))
    with pytest.raises(SystemExit):
        run_at(NOON)
    monkeypatch.undo()
    caplog.clear()
    run_at(NOON + sender.LEASE + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == "failed"
    assert delivery.reason.startswith("outcome unknown")
    assert not [r for r in caplog.records if r.name == "touchpoints.console"]


def test_quiet_hours_use_the_members_time_zone_across_a_zone_boundary(db):
    channel = ChannelFactory(key="sms", kind="sms", backend="console")
    settings = {"timezone": "Asia/Shanghai", "quiet_hours": {"start": "22:00", "end": "08:00"}}
    at = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai, 15:00 in London
    in_shanghai = queued(channel, at=at, settings=settings, member=MemberFactory(timezone=""))
    in_london = queued(channel, at=at, settings=settings, member=MemberFactory(timezone="Europe/London"))
    run_at(at)
    in_shanghai.refresh_from_db()
    in_london.refresh_from_db()
    assert (in_shanghai.status, in_shanghai.reason) == ("deferred", "quiet hours")
    assert in_shanghai.scheduled_at == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
    assert in_london.status == "sent"
    run_at(datetime(2026, 3, 11, 0, 0, tzinfo=UTC))
    in_shanghai.refresh_from_db()
    assert (in_shanghai.status, in_shanghai.sent_at) == ("sent", datetime(2026, 3, 11, 0, 0, tzinfo=UTC))


def test_frequency_cap_lets_the_higher_priority_journey_win_and_records_the_other_as_capped(db):
    channel = ChannelFactory(key="sms", kind="sms", backend="console")
    member = MemberFactory()
    cap = {"frequency_cap": {"max": 1, "per_hours": 24}}
    low = queued(channel, member=member, settings=cap | {"priority": 0})
    high = queued(channel, member=member, settings=cap | {"priority": 10}, at=NOON + timedelta(seconds=1))
    run_at(NOON + timedelta(seconds=1))
    low.refresh_from_db()
    high.refresh_from_db()
    assert high.status == "sent"
    assert (low.status, low.reason) == ("capped", "frequency cap: 1 per 24 h")


def test_frequency_cap_counts_messages_already_sent_by_other_journeys(db):
    channel = ChannelFactory(key="sms", kind="sms", backend="console")
    member = MemberFactory()
    queued(channel, member=member, status="sent", sent_at=NOON - timedelta(hours=3))
    queued(channel, member=member, status="delivered", sent_at=NOON - timedelta(hours=30))
    capped = queued(channel, member=member, settings={"frequency_cap": {"max": 1, "per_hours": 24}})
    other_member = queued(channel, settings={"frequency_cap": {"max": 1, "per_hours": 24}})
    run_at(NOON)
    capped.refresh_from_db()
    other_member.refresh_from_db()
    assert capped.status == "capped"
    assert other_member.status == "sent"


def test_an_opted_out_member_is_skipped_with_the_reason_and_nothing_is_sent(hook, provider):
    delivery = queued(hook, member=MemberFactory(opted_out=["hook"]))
    by_kind = queued(hook, member=MemberFactory(opted_out=["webhook"]))
    run_at(NOON)
    for row in (delivery, by_kind):
        row.refresh_from_db()
        assert (row.status, row.reason, row.attempts) == ("failed", "opted out", 0)
    assert provider.requests == []


def test_a_holiday_in_the_calendar_defers_the_send_to_the_day_after_at_the_resume_time(db):
    channel = ChannelFactory(key="sms", kind="sms", backend="console")
    QuietPeriodFactory(name="Spring Festival", start_date=datetime(2026, 3, 9).date(), end_date=datetime(2026, 3, 11).date())
    delivery = queued(channel, settings={"timezone": "Asia/Shanghai"})
    run_at(NOON)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == ("deferred", "holiday: Spring Festival")
    assert delivery.scheduled_at == datetime(2026, 3, 12, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai


def test_the_channel_rate_limit_keeps_the_surplus_queued_for_the_next_minute(db):
    channel = ChannelFactory(key="sms", kind="sms", backend="console", rate_per_minute=2)
    rows = [queued(channel) for _ in range(3)]
    run_at(NOON + timedelta(seconds=20))
    statuses = sorted(Delivery.objects.filter(id__in=[r.id for r in rows]).values_list("status", "scheduled_at"))
    assert statuses == [("queued", NOON + timedelta(minutes=1)), ("sent", NOON), ("sent", NOON)]
    run_at(NOON + timedelta(minutes=1))
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


def test_deliveries_of_a_paused_journey_wait_untouched(db):
    delivery = queued(ChannelFactory(key="sms", kind="sms", backend="console"), settings={})
    delivery.journey.status = "paused"
    delivery.journey.save(update_fields=["status"])
    run_at(NOON)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == ("queued", 0)


def test_the_rendered_text_is_personalised_and_kept_on_the_delivery(db):
    channel = ChannelFactory(key="sms", kind="sms", backend="console")
    template = TemplateFactory(channel=channel, body="{{ member.name }}, {{ coupon_code }} in {{ journey.name }}")
    version = version_with_settings({}, name="Welcome")
    delivery = queued(channel, template=template, version=version, member=MemberFactory(name="Wang Fang"),
                      payload={"coupon_code": "NEW10"})
    run_at(NOON)
    delivery.refresh_from_db()
    assert delivery.rendered["message"]["body"] == "Wang Fang, NEW10 in Welcome"


def test_a_member_without_an_address_for_the_channel_fails_with_the_reason(provider, db):
    channel = ChannelFactory(key="sms-gw", kind="sms", backend="sms",
                             config={"endpoint": provider.url, "account": "acme", "api_key": "k"})
    delivery = queued(channel, member=MemberFactory(phone=""))
    run_at(NOON)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == ("failed", "the member has no phone number")
    assert provider.requests == []


def test_an_action_webhook_posts_its_payload_to_the_url_from_the_journey(provider, db):
    ChannelFactory(key="webhook", kind="webhook", backend="webhook", config={"url": "http://unused.invalid/"}, secret="k")
    delivery = queued(kind="webhook", channel=None, template=None, payload={"url": provider.url, "note": "vip"})
    run_at(NOON)
    delivery.refresh_from_db()
    [request] = provider.requests
    assert delivery.status == "sent"
    assert request["json"]["fields"] == {"note": "vip"}
    assert request["headers"]["X-Journey-Signature"].startswith("sha256=")


def run_three_senders_at_once(*, batch_size):
    """Three sender passes in parallel threads (own connections), re-raising what any of them raised."""
    errors = []

    def one_sender():
        try:
            with clock.frozen(NOON):
                sender.run(batch_size=batch_size)
        except Exception as exc:  # surfaced below: a thread's exception would otherwise vanish
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=one_sender) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


@pytest.mark.django_db(transaction=True)
def test_two_senders_running_at_once_send_every_delivery_exactly_once(provider):
    hook = ChannelFactory(key="hook", kind="webhook", backend="webhook", config={"url": provider.url})
    rows = [queued(hook) for _ in range(60)]
    run_three_senders_at_once(batch_size=7)
    keys = [r["headers"]["Idempotency-Key"] for r in provider.requests]
    assert sorted(keys) == sorted(r.idempotency_key for r in rows)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}


@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_together_respect_the_frequency_cap_and_the_channel_rate():
    channel = ChannelFactory(key="sms", kind="sms", backend="console", rate_per_minute=5)
    capped_member = MemberFactory()
    version = version_with_settings({"frequency_cap": {"max": 2, "per_hours": 24}})
    for _ in range(8):
        queued(channel, member=capped_member, version=version)
    for _ in range(8):
        queued(channel)
    run_three_senders_at_once(batch_size=3)
    assert Delivery.objects.filter(member=capped_member, status="sent").count() <= 2
    assert Delivery.objects.filter(status="sent").count() == 5


@pytest.mark.celery
def test_the_celery_task_sends_due_deliveries_in_a_real_worker(celery_worker_factory, provider):
    hook = ChannelFactory(key="hook", kind="webhook", backend="webhook", config={"url": provider.url})
    delivery = DeliveryFactory(channel=hook)
    celery_worker_factory()
    send_due.delay()
    wait_until(lambda: Delivery.objects.get(id=delivery.id).status == "sent", timeout=60)
    assert json.loads(provider.requests[0]["raw"])["delivery"] == delivery.id


@pytest.mark.django_db(transaction=True)
def test_a_sender_process_killed_mid_send_leaves_exactly_one_delivered_message(provider):
    hook = ChannelFactory(key="hook", kind="webhook", backend="webhook", config={"url": provider.url})
    delivery = DeliveryFactory(channel=hook)
    provider.answer((200, {"id": "late"}, 5))  # the provider stalls, so the kill lands mid-send
    process = subprocess.Popen(
        [sys.executable, "-c", "import django; django.setup(); from touchpoints import sender; sender.run()"],
        cwd=ROOT, env=child_env(DATABASE_URL=database_url_of(connection.settings_dict), DJANGO_SETTINGS_MODULE="config.settings"),
        start_new_session=True,
    )
    wait_until(lambda: provider.requests, timeout=30)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    delivery.refresh_from_db()
    assert delivery.claimed_at is not None and delivery.status == "queued"

    run_at(delivery.claimed_at + sender.LEASE + timedelta(seconds=1))
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert [r["headers"]["Idempotency-Key"] for r in provider.requests] == [delivery.idempotency_key] * 2
    assert provider.delivered_keys() == {delivery.idempotency_key}


def test_a_batch_mixing_free_and_paid_channels_records_each_deliverys_cost(db):
    free = queued(ChannelFactory(key="wecom", kind="wecom", backend="console", cost_per_message=Decimal("0")))
    paid = queued(ChannelFactory(key="sms", kind="sms", backend="console", cost_per_message=Decimal("0.045")))
    run_at(NOON)
    free.refresh_from_db()
    paid.refresh_from_db()
    assert (free.status, free.cost, paid.status, paid.cost) == ("sent", Decimal("0"), "sent", Decimal("0.045"))
