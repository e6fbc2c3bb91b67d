from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.factories import ChannelFactory, MemberFactory, TemplateFactory
from tests.touchpoints.factories import DeliveryFactory
from touchpoints.models import Channel, QuietPeriod, Template


@pytest.fixture
def as_user(client):
    def login(user):
        client.force_login(user)
        client.post("/i18n/setlang/", {"language": "en"})
        return client

    return login


def test_the_channel_list_shows_todays_volume_and_cost_per_channel(as_user, viewer):
    sms = ChannelFactory(key="sms", cost_per_message=Decimal("0.05"))
    for _ in range(3):
        DeliveryFactory(channel=sms, status="sent", sent_at=timezone.now(), cost=Decimal("0.05"))
    DeliveryFactory(channel=sms, status="queued")
    page = as_user(viewer).get("/touchpoints/")
    assert page.status_code == 200
    channel = next(c for c in page.context["channels"] if c.key == "sms")
    assert (channel.sent_today, channel.cost_today, channel.queued) == (3, Decimal("0.15"), 1)
    assert page.context["grid"][0]["total"] == 3
    assert b"Daily volume and cost" in page.content


def test_an_admin_creates_a_channel_whose_credentials_never_come_back(as_user, admin_user):
    client = as_user(admin_user)
    answer = client.post("/touchpoints/channels/new/", {
        "key": "sms-gw", "name": "SMS", "kind": "sms", "backend": "sms", "enabled": "on", "cost_per_message": "0.04",
        "max_attempts": "5", "config": '{"endpoint": "http://127.0.0.1:9/send", "account": "acme"}',
        "credentials": '{"api_key": "very-secret-key"}', "secret": "sign-secret",
    })
    assert answer.status_code == 302
    channel = Channel.objects.get(key="sms-gw")
    assert channel.config["api_key"] == "very-secret-key" and channel.secret == "sign-secret"
    page = client.get("/touchpoints/channels/sms-gw/")
    assert b"very-secret-key" not in page.content and b"sign-secret" not in page.content
    assert b"api_key" in page.content  # listed as a stored credential, by name only


def test_a_bad_channel_form_shows_the_error_at_the_field_and_saves_nothing(as_user, admin_user):
    page = as_user(admin_user).post("/touchpoints/channels/new/", {
        "key": "hook", "kind": "webhook", "backend": "webhook", "cost_per_message": "0", "max_attempts": "5",
        "config": '{"url": "not a url"}',
    })
    assert page.status_code == 200
    assert "http(s) URL" in page.context["form"].errors["config"][0]
    assert not Channel.objects.filter(key="hook").exists()


def test_only_an_admin_may_change_a_channel(as_user, editor):
    ChannelFactory(key="sms")
    client = as_user(editor)
    assert client.get("/touchpoints/channels/sms/").status_code == 200
    answer = client.post("/touchpoints/channels/sms/", {"key": "sms", "kind": "sms", "backend": "console"})
    assert answer.status_code == 403


def test_send_test_goes_through_the_backend_and_reports_the_result(as_user, admin_user, provider):
    ChannelFactory(key="hook", kind="webhook", backend="webhook", config={"url": provider.url})
    MemberFactory(external_id="m-9", name="Li")
    page = as_user(admin_user).post("/touchpoints/channels/hook/test/", {"member": "m-9", "body": "Hello {{ member.name }}"},
                                    follow=True)
    assert provider.requests[0]["json"]["body"] == "Hello Li"
    assert b"Test message sent to m-9" in page.content


def test_an_editor_saves_a_template_from_the_editor(as_user, editor):
    ChannelFactory(key="sms")
    answer = as_user(editor).post("/touchpoints/templates/new/", {"slug": "welcome", "channel": "sms", "body": "Hi {{ member.name }}"})
    assert answer.status_code == 302
    assert Template.objects.get(slug="welcome").body == "Hi {{ member.name }}"


def test_an_unsafe_template_is_refused_at_the_body_field(as_user, editor):
    ChannelFactory(key="sms")
    page = as_user(editor).post("/touchpoints/templates/new/", {"slug": "x", "channel": "sms", "body": "{% import 'os' as os %}"})
    assert page.status_code == 200
    assert "not allowed" in page.context["form"].errors["body"][0]
    assert not Template.objects.exists()


def test_the_live_preview_renders_the_chosen_member_and_puts_checks_at_the_fields(as_user, editor):
    ChannelFactory(key="sms", config={"signature": "【Fresh】", "max_segments": 1})
    MemberFactory(external_id="m-1", name="Zhang Wei", attributes={"city": "Hangzhou"})
    client = as_user(editor)
    ok = client.post("/touchpoints/templates/preview/", {"channel": "sms", "member": "m-1",
                                                         "body": "{{ member.name }} / {{ member.attributes.city }}"},
                     HTTP_HX_REQUEST="true")
    assert b"Zhang Wei / Hangzhou" in ok.content
    too_long = client.post("/touchpoints/templates/preview/", {"channel": "sms", "member": "m-1", "body": "x" * 200},
                           HTTP_HX_REQUEST="true")
    html = too_long.content.decode()
    assert 'id="err-body" hx-swap-oob="true"><li>' in html and "SMS segments" in html


def test_a_viewer_sees_the_template_editor_read_only(as_user, viewer):
    TemplateFactory(slug="welcome")
    page = as_user(viewer).get("/touchpoints/templates/welcome/")
    assert page.status_code == 200
    assert page.context["form"].fields["body"].disabled
    assert as_user(viewer).post("/touchpoints/templates/welcome/", {"slug": "welcome"}).status_code == 403


def test_deliveries_filter_by_status_channel_and_date_and_paginate(as_user, viewer):
    sms = ChannelFactory(key="sms")
    wx = ChannelFactory(key="wx", kind="wechat_template")
    now = timezone.now()
    DeliveryFactory.create_batch(55, channel=sms, status="sent", created_at=now)
    DeliveryFactory(channel=wx, status="sent", created_at=now)
    DeliveryFactory(channel=sms, status="capped", created_at=now - timedelta(days=10))
    client = as_user(viewer)
    page = client.get("/touchpoints/deliveries/", {"status": "sent", "channel": "sms", "date_from": timezone.localdate().isoformat()})
    assert page.context["page"].paginator.count == 55
    assert len(page.context["page"].object_list) == 50
    second = client.get("/touchpoints/deliveries/", {"status": "sent", "channel": "sms", "page": 2}, HTTP_HX_REQUEST="true",
                        HTTP_HX_TARGET="delivery-results")
    html = second.content.decode()
    assert html.count('<td class="mono muted">') == 5 and "page 2 of 2" in html
    assert "<html" not in html


def test_a_bad_date_filter_is_reported_at_the_field(as_user, viewer):
    page = as_user(viewer).get("/touchpoints/deliveries/", {"date_from": "yesterday-ish"})
    assert page.status_code == 200
    assert "date_from" in page.context["form"].errors


def test_the_holiday_calendar_is_edited_on_its_page(as_user, editor):
    client = as_user(editor)
    answer = client.post("/touchpoints/calendar/", {"name": "National Day", "start_date": "2026-10-01",
                                                    "end_date": "2026-10-07", "resume_at": "09:30"})
    assert answer.status_code == 302
    period = QuietPeriod.objects.get()
    assert (period.name, str(period.resume_at)) == ("National Day", "09:30:00")
    client.post(f"/touchpoints/calendar/{period.pk}/delete/")
    assert not QuietPeriod.objects.exists()


def test_a_period_ending_before_it_starts_is_refused_at_the_field(as_user, editor):
    page = as_user(editor).post("/touchpoints/calendar/", {"name": "Oops", "start_date": "2026-10-07", "end_date": "2026-10-01",
                                                           "resume_at": "09:00"})
    assert "end_date" in page.context["form"].errors
    assert not QuietPeriod.objects.exists()


def test_a_viewer_cannot_change_the_calendar(as_user, viewer):
    answer = as_user(viewer).post("/touchpoints/calendar/", {"name": "X", "start_date": "2026-10-01", "end_date": "2026-10-01"})
    assert answer.status_code == 403


@pytest.mark.parametrize("url", ["/touchpoints/", "/touchpoints/templates/", "/touchpoints/templates/new/",
                                 "/touchpoints/deliveries/", "/touchpoints/calendar/", "/touchpoints/channels/new/"])
def test_every_touchpoints_page_renders_with_the_sub_navigation(as_user, viewer, url):
    page = as_user(viewer).get(url)
    assert page.status_code == 200
    assert b'class="tp-tabs"' in page.content


def test_deliveries_filter_by_member_for_links_from_the_member_page(as_user, viewer):
    mine = DeliveryFactory(member=MemberFactory(external_id="m-42"))
    DeliveryFactory()
    page = as_user(viewer).get("/touchpoints/deliveries/", {"member": "m-42"})
    assert [d.id for d in page.context["page"].object_list] == [mine.id]
