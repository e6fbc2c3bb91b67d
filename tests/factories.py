"""factory_boy factories shared by every test module."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from journeys.models import Journey
from members.models import Event, Member, Segment, Tag
from touchpoints.models import Channel, Template


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"operator{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "pass-word-123")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get_or_create(name=extracted)[0])
        if create:
            self.save()


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"tag-{n}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    external_id = factory.Sequence(lambda n: f"m{n:06d}")
    name = factory.Faker("name")
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    registered_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=1))
    attributes = factory.LazyFunction(dict)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Event

    member = factory.SubFactory(MemberFactory)
    name = "order_paid"
    occurred_at = factory.LazyFunction(timezone.now)
    properties = factory.LazyFunction(dict)


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment

    slug = factory.Sequence(lambda n: f"segment-{n}")
    name = factory.LazyAttribute(lambda s: s.slug.replace("-", " ").title())
    rule = factory.LazyFunction(lambda: {"tag": "vip"})


class ChannelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Channel
        django_get_or_create = ("key",)

    key = "sms"
    name = factory.LazyAttribute(lambda c: c.key.upper())
    kind = "sms"
    backend = "console"


class TemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Template
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"template-{n}")
    channel = factory.SubFactory(ChannelFactory)
    body = "Hi {{ member.name }}, your coupon is waiting."


class JourneyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Journey

    name = factory.Sequence(lambda n: f"Journey {n}")
    draft = factory.LazyFunction(dict)
