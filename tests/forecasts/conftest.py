from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from demo.behaviour import BehaviourModel
from tests.factories import ChannelFactory, TemplateFactory

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai

# Deterministic behaviour: every member orders in the first simulated step, or nobody ever orders.
ALWAYS_ORDERS = BehaviourModel(first_order_daily=1.0, first_order_decay_days=1e9, repeat_order_daily=0.0, never_buyer_share=0.0,
                               unsubscribe_daily=0.0, unsubscribe_after_message=0.0, max_daily=1.0)
NEVER_ORDERS = BehaviourModel(first_order_daily=0.0, repeat_order_daily=0.0, never_buyer_share=0.0, unsubscribe_daily=0.0,
                              unsubscribe_after_message=0.0)


@pytest.fixture(autouse=True)
def english():
    """Reasons and pages are checked in their English source text."""
    with translation.override("en"):
        yield


@pytest.fixture
def channels(db):
    sms = ChannelFactory(key="sms", kind="sms", cost_per_message=Decimal("0.05"))
    wechat = ChannelFactory(key="wechat", kind="wechat_template", cost_per_message=Decimal("0.10"))
    TemplateFactory(slug="welcome", channel=sms)
    TemplateFactory(slug="last-chance", channel=wechat)
    return sms, wechat


def document(nodes, edges, entry=None, **settings):
    settings.setdefault("timezone", "Asia/Shanghai")
    return {"format": "journey/v1", "name": "Forecast me", "settings": settings,
            "nodes": [{"key": "start", "type": "entry", "config": entry or {"manual": True}}, *nodes], "edges": edges}


def onboarding_like():
    """entry → split a/b → condition (city 上海) → yes: send sms → wait order_paid 3 days;
    no: wait; timeout → send wechat → exit; matched → exit. Goal: an order within 30 days."""
    return document(
        [{"key": "ab", "type": "split", "config": {"variants": [{"key": "a", "weight": 1}, {"key": "b", "weight": 1}]}},
         {"key": "city", "type": "condition", "config": {"rule": {"attr": "city", "op": "eq", "value": "上海"}}},
         {"key": "hello", "type": "send", "config": {"channel": "sms", "template": "welcome"}},
         {"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 3}}},
         {"key": "nudge", "type": "send", "config": {"channel": "wechat", "template": "last-chance"}},
         {"key": "done", "type": "exit"}, {"key": "bought", "type": "exit"}],
        [{"from": "start", "to": "ab"}, {"from": "ab", "to": "city", "branch": "a"}, {"from": "ab", "to": "city", "branch": "b"},
         {"from": "city", "to": "hello", "branch": "yes"}, {"from": "city", "to": "w", "branch": "no"},
         {"from": "hello", "to": "w"}, {"from": "w", "to": "bought", "branch": "matched"},
         {"from": "w", "to": "nudge", "branch": "timeout"}, {"from": "nudge", "to": "done"}],
        goals=[{"key": "purchase", "event": "order_paid", "window_days": 30}],
    )


__all__ = ["T0", "timedelta"]
