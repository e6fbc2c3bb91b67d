"""Who created, changed, published, paused, resumed or archived what — recorded with the change."""

import copy
import json

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import audit
from accounts.models import AuditEntry
from journeys import services
from journeys.models import Journey
from members.models import Segment
from tests.security.conftest import ONBOARDING, ONBOARDING_TEMPLATES
from tests.factories import ChannelFactory, TemplateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def channels(db):
    ChannelFactory(key="sms", kind="sms")
    ChannelFactory(key="wechat", kind="wechat_template")
    for slug, channel in ONBOARDING_TEMPLATES.items():
        TemplateFactory(slug=slug, channel=ChannelFactory(key=channel))


def document():
    return copy.deepcopy(json.loads(ONBOARDING.read_text()))


def actions(obj):
    return [(e.user.username if e.user else None, e.action) for e in reversed(list(audit.history(obj)))]


def test_a_journeys_life_through_the_pages_is_recorded_with_who_did_it(channels, editor, admin_user):
    client = Client()
    client.force_login(editor)
    journey = services.journey_create(document=document(), user=editor)
    assert client.post(f"/journeys/{journey.pk}/draft/", {"document": {**document(), "name": "Renamed"}, "revision": journey.draft_revision},
                       content_type="application/json").status_code == 200
    assert client.post(f"/journeys/{journey.pk}/publish/").status_code == 200
    client.post(f"/journeys/{journey.pk}/pause/")
    client.force_login(admin_user)
    client.post(f"/journeys/{journey.pk}/resume/")
    client.post(f"/journeys/{journey.pk}/archive/")
    assert actions(journey) == [("eddie-editor", "created"), ("eddie-editor", "changed"), ("eddie-editor", "published"),
                                ("eddie-editor", "paused"), ("alice-admin", "resumed"), ("alice-admin", "archived")]
    published = AuditEntry.objects.get(action="published")
    assert published.details == {"version": 1, "migrate": False}


def test_the_api_records_the_token_owner_as_the_actor(channels, editor, api):
    created = api.post("/api/v1/journeys", document(), format="json").json()
    api.post(f"/api/v1/journeys/{created['id']}/publish", {}, format="json")
    api.post(f"/api/v1/journeys/{created['id']}/pause", format="json")
    journey = Journey.objects.get(pk=created["id"])
    assert [a for _u, a in actions(journey)] == ["created", "published", "paused"]
    assert {u for u, _a in actions(journey)} == {"eddie-editor"}


def test_autosaves_of_one_editing_session_fold_into_one_changed_entry(channels, editor, viewer):
    journey = services.journey_create(document=document(), user=editor)
    for _ in range(3):
        services.journey_update_draft(journey, document=document(), user=editor, base_revision=journey.draft_revision)
    entry = AuditEntry.objects.get(action="changed")
    assert entry.details == {"revision": journey.draft_revision, "saves": 3}
    services.journey_update_draft(journey, document=document(), user=None)
    assert AuditEntry.objects.filter(action="changed").count() == 2


def test_a_refused_change_records_nothing(channels, editor):
    journey = services.journey_create(document=document(), user=editor)
    with pytest.raises(services.JourneyStateError):
        services.journey_pause(journey, user=editor)
    with pytest.raises(services.StaleDraft):
        services.journey_update_draft(journey, document=document(), user=editor, base_revision=journey.draft_revision + 7)
    assert actions(journey) == [("eddie-editor", "created")]


def test_channel_and_template_saves_are_recorded_without_credential_values(admin_user):
    client = APIClient()
    client.force_login(admin_user)
    client.post("/api/v1/channels", {"key": "hook", "kind": "webhook", "backend": "webhook", "secret": "whsec-123",
                                     "config": {"url": "https://hooks.example/x"}}, format="json")
    client.put("/api/v1/channels/hook", {"name": "Hooks"}, format="json")
    client.post("/api/v1/templates", {"slug": "ping", "channel": "hook", "body": "Hi {{ member.name }}"}, format="json")
    entries = list(AuditEntry.objects.order_by("id").values_list("object_type", "action", "details"))
    assert entries == [
        ("touchpoints.channel", "created", {"fields": ["backend", "key", "kind", "config", "secret"]}),
        ("touchpoints.channel", "changed", {"fields": ["name"]}),
        ("touchpoints.template", "created", {"fields": ["body", "channel", "slug"]}),
    ]
    assert "whsec-123" not in str(entries)


def test_the_journey_settings_panel_shows_the_journeys_history(channels, editor):
    journey = services.journey_create(document=document(), user=editor)
    services.journey_publish(journey, user=editor)
    client = Client()
    client.force_login(editor)
    client.post("/i18n/setlang/", {"language": "en"})
    page = client.get(f"/journeys/{journey.pk}/settings/", HTTP_HX_REQUEST="true").content.decode()
    assert "History" in page
    assert page.index("published") < page.index("created")  # newest first
    assert "eddie-editor" in page and "v1" in page


def test_segment_saves_through_the_page_and_the_api_are_recorded_with_who_did_it(editor, api):
    client = Client()
    client.force_login(editor)
    client.post("/members/segments/new/", {"name": "VIPs", "slug": "vips", "rule": json.dumps({"tag": "vip"})})
    api.put("/api/v1/segments/vips", {"rule": {"tag": "gold"}}, format="json")
    segment = Segment.objects.get(slug="vips")
    assert actions(segment) == [("eddie-editor", "created"), ("eddie-editor", "changed")]
