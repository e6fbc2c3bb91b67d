"""Names, labels and attributes carrying markup are shown as text on every page that shows them."""

import pytest
from django.test import Client

from journeys import services
from tests.factories import ChannelFactory, MemberFactory, SegmentFactory, TagFactory, TemplateFactory
from tests.touchpoints.factories import DeliveryFactory

pytestmark = pytest.mark.django_db
SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '"><img src=x onerror=alert(2)>'
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
ESCAPED_ATTRIBUTE = "&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"


@pytest.fixture
def hostile(db):
    """Every operator- or API-supplied text carries markup."""
    channel = ChannelFactory(key="sms", name=f"SMS {SCRIPT}")
    template = TemplateFactory(slug="hello", name=f"Hello {SCRIPT}", channel=channel, body="Hi {{ member.name }}")
    member = MemberFactory(external_id="m-xss", name=f"Ann {SCRIPT}", attributes={f"city{ATTRIBUTE}": f"Bei {SCRIPT}"})
    member.tags.add(TagFactory(name=f"vip{ATTRIBUTE}"))
    segment = SegmentFactory(slug="xss", name=f"VIPs {SCRIPT}", description=ATTRIBUTE)
    journey = services.journey_create(document={
        "format": "journey/v1", "name": f"Recall {SCRIPT}", "description": ATTRIBUTE, "settings": {},
        "nodes": [{"key": "start", "type": "entry", "label": f"Entry {SCRIPT}", "config": {"event": "registered"}},
                  {"key": "s1", "type": "send", "label": ATTRIBUTE, "config": {"channel": "sms", "template": "hello"}}],
        "edges": [{"from": "start", "to": "s1"}]})
    DeliveryFactory(channel=channel, template=template, member=member, status="sent")
    return {"journey": journey, "member": member, "segment": segment, "template": template}


def pages(world):
    journey = world["journey"].pk
    return [
        "/", "/journeys/", f"/journeys/{journey}/", f"/journeys/{journey}/nodes/start/", f"/journeys/{journey}/settings/",
        "/members/", f"/members/m/{world['member'].external_id}/", "/members/tags/", "/members/segments/",
        f"/members/segments/{world['segment'].slug}/", "/touchpoints/", "/touchpoints/templates/",
        f"/touchpoints/templates/{world['template'].slug}/?member=m-xss", "/touchpoints/deliveries/",
        "/touchpoints/channels/sms/",
    ]


def test_markup_in_names_labels_and_attributes_is_escaped_on_every_page(hostile, admin_user):
    client = Client()
    client.force_login(admin_user)
    client.post("/i18n/setlang/", {"language": "en"})
    for path in pages(hostile):
        response = client.get(path)
        page = response.content.decode()
        assert response.status_code == 200, path
        assert SCRIPT not in page and "<img src=x" not in page, path
        shown = (ESCAPED_SCRIPT, ESCAPED_ATTRIBUTE, "\\u003Cscript\\u003E")
        assert any(text in page for text in shown), f"{path} does not show the hostile text at all"


def test_the_canvas_hands_the_document_to_its_script_as_inert_json(hostile, editor):
    client = Client()
    client.force_login(editor)
    page = client.get(f"/journeys/{hostile['journey'].pk}/").content.decode()
    assert '<script id="jc-boot" type="application/json">' in page
    assert "Entry \\u003Cscript\\u003Ealert(1)\\u003C/script\\u003E" in page


def test_a_template_preview_shows_a_member_name_with_markup_as_text(hostile, viewer):
    client = Client()
    client.force_login(viewer)
    response = client.post("/touchpoints/templates/preview/", {"channel": "sms", "body": "Hi {{ member.name }} " + SCRIPT,
                                                               "member": "m-xss", "fields": "{}"})
    page = response.content.decode()
    assert response.status_code == 200
    assert SCRIPT not in page and f"Hi Ann {ESCAPED_SCRIPT} {ESCAPED_SCRIPT}" in page


def test_the_api_returns_names_verbatim_as_json_data(hostile, api):
    # JSON is data, not markup: the API must not mangle names; the pages escape them.
    assert api.get(f"/api/v1/members/{hostile['member'].external_id}").json()["name"] == f"Ann {SCRIPT}"
