"""A small world with one of every object a URL can name, for the security walks."""

import copy
import datetime
import json
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps

from accounts.tokens import create_token
from journeys import services
from members.models import ImportJob
from tests.factories import ChannelFactory, MemberFactory, SegmentFactory, TagFactory, TemplateFactory, UserFactory
from touchpoints.models import QuietPeriod

ONBOARDING = Path(__file__).resolve().parents[2] / "journeys" / "gallery" / "onboarding.journey.json"  # = ../shared/examples (test_gallery)
ONBOARDING_TEMPLATES = {"welcome-coupon": "sms", "last-chance": "sms", "coupon-expiring": "wechat",
                        "second-order-coupon": "wechat"}


@dataclass
class World:
    journey: object
    member: object
    tag: object
    segment: object
    channel: object
    template: object
    period: object
    job: object
    others_token: object
    other_user: object
    forecast: object


@pytest.fixture
def world(db):
    ChannelFactory(key="sms", kind="sms")
    ChannelFactory(key="wechat", kind="wechat_template")
    for slug, channel in ONBOARDING_TEMPLATES.items():
        TemplateFactory(slug=slug, channel=ChannelFactory(key=channel))
    journey = services.journey_create(document=copy.deepcopy(json.loads(ONBOARDING.read_text())))
    services.journey_publish(journey)
    journey.refresh_from_db()
    member = MemberFactory(external_id="m-walk")
    other_user = UserFactory(username="olga-owner", role="editor")
    job = ImportJob.objects.create(kind=ImportJob.Kind.MEMBERS, original_name="members.csv", file="imports/walk.csv")
    today = datetime.date.today()
    return World(
        journey=journey, member=member, tag=TagFactory(name="vip"), segment=SegmentFactory(slug="vips"),
        channel=ChannelFactory(key="sms"), template=TemplateFactory(slug="welcome-coupon"),
        period=QuietPeriod.objects.create(name="Spring Festival", start_date=today, end_date=today),
        job=job, others_token=create_token(other_user, "olga's feed")[0], other_user=other_user,
        forecast=(apps.get_model("forecasts", "Forecast").objects.create(journey=journey, document=journey.draft,
                                                                          status="done", results={"nodes": {}})
                  if apps.is_installed("forecasts") else None),
    )
