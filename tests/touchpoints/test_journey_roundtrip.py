"""Across apps: the engine writes the outbox row, the sender sends it, a receipt wakes the journey."""

import hashlib
import hmac
import json
from datetime import timedelta

from journeys import clock, engine
from journeys.models import Enrollment, StepLog
from tests.factories import ChannelFactory, MemberFactory, TemplateFactory
from tests.journeys.conftest import T0, minimal, publish, tick
from touchpoints import sender
from touchpoints.models import Delivery


def test_a_click_receipt_wakes_the_member_waiting_for_message_clicked_on_that_node(db, client, provider):
    hook = ChannelFactory(key="hook", kind="webhook", backend="webhook", config={"url": provider.url}, secret="rcpt")
    TemplateFactory(slug="nudge", channel=hook, body="Hi {{ member.name }}, {{ journey.name }} / {{ variant }}")
    journey = publish(minimal(
        [{"key": "msg", "type": "send", "config": {"channel": "hook", "template": "nudge"}},
         {"key": "w", "type": "wait", "config": {"event": "message_clicked", "timeout": {"days": 2},
                                                 "where": {"attr": "node", "op": "eq", "value": "msg"}}},
         {"key": "clicked", "type": "exit"}, {"key": "ignored", "type": "exit"}],
        [{"from": "start", "to": "msg"}, {"from": "msg", "to": "w"},
         {"from": "w", "to": "clicked", "branch": "matched"}, {"from": "w", "to": "ignored", "branch": "timeout"}],
        priority=5,
    ))
    member = MemberFactory(name="Chen Jing")
    engine.enroll(journey.current_version, {member.pk: T0})
    tick(T0)
    delivery = Delivery.objects.get(member=member)
    assert (delivery.status, delivery.node_key, delivery.priority) == ("queued", "msg", 5)

    with clock.frozen(T0 + timedelta(seconds=5)):
        sender.run()
    delivery.refresh_from_db()
    assert delivery.status == "sent"
    assert provider.requests[0]["json"]["body"] == f"Hi Chen Jing, {journey.name} / "

    raw = json.dumps({"delivery": delivery.id, "status": "clicked"}).encode()
    signature = "sha256=" + hmac.new(b"rcpt", raw, hashlib.sha256).hexdigest()
    with clock.frozen(T0 + timedelta(hours=1)):
        answer = client.post("/api/v1/receipts", raw, content_type="application/json", HTTP_X_JOURNEY_SIGNATURE=signature)
    assert answer.status_code == 200
    tick(T0 + timedelta(hours=1))
    enrollment = Enrollment.objects.get(member=member)
    assert (enrollment.status, enrollment.node_key) == ("completed", "clicked")
    assert StepLog.objects.get(enrollment=enrollment, node_key="w").branch == "matched"
