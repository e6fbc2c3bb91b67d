import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from journeys import engine, services
from tests.factories import ChannelFactory, JourneyFactory, MemberFactory, TemplateFactory

ONBOARDING = Path(__file__).resolve().parents[2] / "journeys" / "gallery" / "onboarding.journey.json"  # = ../shared/examples (test_gallery)
ONBOARDING_TEMPLATES = {"welcome-coupon": "sms", "last-chance": "sms", "coupon-expiring": "wechat",
                        "second-order-coupon": "wechat"}
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai


def onboarding_document():
    return json.loads(ONBOARDING.read_text())


@pytest.fixture
def onboarding_channels(db):
    ChannelFactory(key="sms", kind="sms")
    ChannelFactory(key="wechat", kind="wechat_template")
    for slug, channel in ONBOARDING_TEMPLATES.items():
        TemplateFactory(slug=slug, channel=ChannelFactory(key=channel))


def publish(document):
    journey = services.journey_create(document=copy.deepcopy(document))
    services.journey_publish(journey)
    journey.refresh_from_db()
    return journey


@pytest.fixture
def onboarding(onboarding_channels):
    return publish(onboarding_document())


def minimal(nodes, edges, **settings):
    """A journey document from a short node list; every journey starts at `start` (manual entry)."""
    return {"format": "journey/v1", "name": "Test journey", "settings": settings,
            "nodes": [{"key": "start", "type": "entry", "config": {"manual": True}}, *nodes],
            "edges": edges}


def tick(at, shard=None):
    from journeys import clock

    with clock.frozen(at):
        return engine.advance(shard)


@pytest.fixture
def members(db):
    def make(n, **kwargs):
        return MemberFactory.create_batch(n, **kwargs)
    return make


__all__ = ["JourneyFactory"]
