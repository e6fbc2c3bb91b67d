"""Factories for the touchpoints tests: deliveries as the engine would write them."""

import factory
from django.utils import timezone

from journeys.models import JourneyVersion
from tests.factories import ChannelFactory, JourneyFactory, MemberFactory, TemplateFactory
from touchpoints.models import Delivery, QuietPeriod


def version_with_settings(settings=None, *, journey=None, priority=None, **journey_fields):
    """A published version whose document carries `settings` (quiet hours, cap, priority, timezone)."""
    journey = journey or JourneyFactory(status="live", **journey_fields)
    document_settings = dict(settings or {})
    if priority is not None:
        document_settings["priority"] = priority
    number = journey.versions.count() + 1
    version = JourneyVersion.objects.create(
        journey=journey, number=number, published_at=timezone.now(),
        document={"format": "journey/v1", "name": journey.name, "settings": document_settings, "nodes": [], "edges": []},
    )
    journey.current_version = version
    journey.save(update_fields=["current_version"])
    return version


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    class Params:
        settings = None

    member = factory.SubFactory(MemberFactory)
    channel = factory.SubFactory(ChannelFactory)
    template = factory.SubFactory(TemplateFactory, channel=factory.SelfAttribute("..channel"))
    version = factory.LazyAttribute(lambda d: version_with_settings(d.settings) if d.settings is not None else None)
    journey = factory.LazyAttribute(lambda d: d.version.journey if d.version else None)
    priority = factory.LazyAttribute(lambda d: (d.version.document["settings"].get("priority", 0) if d.version else 0))
    node_key = factory.Sequence(lambda n: f"send{n}")
    status = Delivery.Status.QUEUED
    scheduled_at = factory.LazyFunction(timezone.now)
    created_at = factory.LazyFunction(timezone.now)


class QuietPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuietPeriod

    name = "National Day"
