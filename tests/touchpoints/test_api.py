import hashlib
import hmac
import json

import pytest

from members.models import Event
from tests.conftest import api_client_for
from tests.factories import ChannelFactory, MemberFactory, TemplateFactory
from tests.touchpoints.factories import DeliveryFactory
from touchpoints.models import Channel, Template


@pytest.fixture
def admin_api(admin_user):
    return api_client_for(admin_user)


def test_channel_secrets_and_credentials_are_write_only(admin_api):
    body = {"key": "sms-gw", "name": "SMS gateway", "kind": "sms", "backend": "sms", "secret": "sign-me",
            "config": {"endpoint": "http://127.0.0.1:9/send", "account": "acme", "api_key": "k-123", "signature": "【Fresh】"}}
    created = admin_api.post("/api/v1/channels", body, format="json")
    assert created.status_code == 201, created.json()
    for answer in (created.json(), admin_api.get("/api/v1/channels/sms-gw/").json(), admin_api.get("/api/v1/channels").json()[0]):
        assert "secret" not in answer and "api_key" not in answer["config"]
        assert answer["config"]["signature"] == "【Fresh】"
        assert (answer["secret_set"], answer["credentials_set"]) == (True, ["api_key"])
    assert "k-123" not in json.dumps(created.json())


def test_a_put_without_credentials_keeps_the_stored_ones(admin_api):
    ChannelFactory(key="sms-gw", kind="sms", backend="sms", secret="s",
                   config={"endpoint": "http://127.0.0.1:9/send", "account": "acme", "api_key": "k-123"})
    answer = admin_api.put("/api/v1/channels/sms-gw", {"config": {"endpoint": "http://127.0.0.1:9/v2", "account": "acme"}},
                           format="json")
    assert answer.status_code == 200, answer.json()
    channel = Channel.objects.get(key="sms-gw")
    assert channel.config == {"endpoint": "http://127.0.0.1:9/v2", "account": "acme", "api_key": "k-123"}
    assert channel.secret == "s"


@pytest.mark.parametrize("body, field", [
    ({"key": "x", "kind": "fax"}, "kind"),
    ({"key": "x", "kind": "sms", "backend": "email", "config": {"from_email": "a@b.c"}}, "backend"),
    ({"key": "x", "kind": "webhook", "backend": "webhook", "config": {}}, "config"),
    ({"key": "x", "kind": "webhook", "backend": "webhook", "config": {"url": "ftp://x"}}, "config"),
    ({"key": "x", "kind": "sms", "config": {"nonsense": 1}}, "config"),
    ({"key": "x", "kind": "sms", "config": []}, "config"),
    ({"key": "not a slug", "kind": "sms"}, "key"),
    ({"key": "x", "kind": "sms", "cost_per_message": "-1"}, "cost_per_message"),
    ({"key": "x", "kind": "sms", "rate_per_minute": 0}, "rate_per_minute"),
    ({"key": "x", "kind": "sms", "max_attempts": 0}, "max_attempts"),
    ({"key": "x", "kind": "sms", "config": "text"}, "config"),
])
def test_a_bad_channel_is_refused_with_a_400_naming_the_field_and_nothing_is_stored(admin_api, body, field):
    answer = admin_api.post("/api/v1/channels", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Channel.objects.exists()


def test_channel_writes_need_the_admin_role_and_reads_a_viewer(api, viewer_api):
    assert api.post("/api/v1/channels", {"key": "x", "kind": "sms"}, format="json").status_code == 403
    assert viewer_api.get("/api/v1/channels/").status_code == 200


def test_templates_are_created_and_updated_by_slug_with_the_channel_key(api):
    ChannelFactory(key="sms")
    created = api.post("/api/v1/templates", {"slug": "welcome", "channel": "sms", "body": "Hi {{ member.name }}"}, format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["channel"] == "sms"
    updated = api.put("/api/v1/templates/welcome/", {"body": "Hello {{ member.name }}"}, format="json")
    assert updated.status_code == 200
    assert Template.objects.get(slug="welcome").body == "Hello {{ member.name }}"


@pytest.mark.parametrize("body, field", [
    ({"slug": "t", "channel": "sms", "body": "{{ ''.__class__ }} {% import 'x' as y %}"}, "body"),
    ({"slug": "t", "channel": "sms", "body": "{{ unclosed"}, "body"),
    ({"slug": "t", "channel": "nope", "body": "x"}, "channel"),
    ({"slug": "t", "channel": "wx", "body": "x", "fields": {"data": {}}}, "fields"),
    ({"slug": "t", "channel": "mail", "body": "x"}, "subject"),
])
def test_a_bad_template_is_refused_at_its_field(api, body, field):
    ChannelFactory(key="sms")
    ChannelFactory(key="wx", kind="wechat_template")
    ChannelFactory(key="mail", kind="email")
    answer = api.post("/api/v1/templates", body, format="json")
    assert answer.status_code == 400
    assert field in answer.json()
    assert not Template.objects.exists()


def test_template_writes_need_an_editor(viewer_api):
    ChannelFactory(key="sms")
    assert viewer_api.post("/api/v1/templates", {"slug": "t", "channel": "sms", "body": "x"}, format="json").status_code == 403


def test_deliveries_filter_by_member_journey_and_status(viewer_api):
    member = MemberFactory(external_id="m-1")
    mine = DeliveryFactory(member=member, settings={}, status="sent")
    DeliveryFactory(member=member, status="queued")
    DeliveryFactory(status="sent")
    answer = viewer_api.get(f"/api/v1/deliveries?member=m-1&journey={mine.journey_id}&status=sent").json()
    assert [row["id"] for row in answer["results"]] == [mine.id]
    assert answer["results"][0]["member"] == "m-1"


@pytest.mark.parametrize("query", ["status=lost", "journey=abc"])
def test_bad_delivery_filters_are_a_400(viewer_api, query):
    answer = viewer_api.get(f"/api/v1/deliveries?{query}")
    assert answer.status_code == 400


# --- receipts ---------------------------------------------------------------------------------

def signed_post(client, body, secret):
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return client.post("/api/v1/receipts", raw, content_type="application/json", HTTP_X_JOURNEY_SIGNATURE=signature)


@pytest.fixture
def sent_delivery(db):
    channel = ChannelFactory(key="sms", secret="rcpt-secret")
    return DeliveryFactory(channel=channel, template=TemplateFactory(channel=channel), settings={}, status="sent",
                           node_key="nudge1", member=MemberFactory(external_id="m-77"))


def test_a_correctly_signed_click_marks_the_delivery_and_becomes_member_events(client, sent_delivery):
    answer = signed_post(client, {"delivery": sent_delivery.id, "status": "clicked"}, "rcpt-secret")
    assert answer.status_code == 200, answer.json()
    sent_delivery.refresh_from_db()
    assert sent_delivery.status == "delivered"
    assert sent_delivery.delivered_at is not None and sent_delivery.clicked_at is not None
    events = {e.name: e for e in Event.objects.filter(member__external_id="m-77")}
    assert set(events) == {"message_delivered", "message_clicked"}
    assert events["message_clicked"].properties == {
        "delivery": sent_delivery.id, "journey": sent_delivery.journey_id, "node": "nudge1", "channel": "sms"}


def test_a_repeated_receipt_changes_nothing_more(client, sent_delivery):
    signed_post(client, {"delivery": sent_delivery.id, "status": "delivered"}, "rcpt-secret")
    sent_delivery.refresh_from_db()
    first = sent_delivery.delivered_at
    assert signed_post(client, {"delivery": sent_delivery.id, "status": "delivered"}, "rcpt-secret").status_code == 200
    sent_delivery.refresh_from_db()
    assert sent_delivery.delivered_at == first
    assert Event.objects.filter(name="message_delivered").count() == 1


@pytest.mark.parametrize("secret", ["wrong-secret", ""])
def test_a_receipt_with_a_bad_signature_is_refused_and_changes_nothing(client, sent_delivery, secret):
    answer = signed_post(client, {"delivery": sent_delivery.id, "status": "delivered"}, secret)
    assert answer.status_code == 403
    sent_delivery.refresh_from_db()
    assert (sent_delivery.status, sent_delivery.delivered_at) == ("sent", None)
    assert not Event.objects.exists()


def test_a_provider_failure_receipt_fails_the_delivery(client, sent_delivery):
    answer = signed_post(client, {"delivery": sent_delivery.id, "status": "failed"}, "rcpt-secret")
    assert answer.status_code == 200
    sent_delivery.refresh_from_db()
    assert (sent_delivery.status, sent_delivery.reason) == ("failed", "the provider reported a failure")


@pytest.mark.parametrize("body, code", [
    ({"delivery": "x", "status": "delivered"}, 400),
    ({"delivery": 1, "status": "opened"}, 400),
    ({"delivery": 999999, "status": "delivered"}, 404),
])
def test_malformed_receipts_get_a_clear_4xx(client, sent_delivery, body, code):
    assert signed_post(client, body, "rcpt-secret").status_code == code


def test_a_receipt_for_a_delivery_that_was_never_sent_is_a_conflict(client, sent_delivery):
    sent_delivery.status = "queued"
    sent_delivery.save(update_fields=["status"])
    assert signed_post(client, {"delivery": sent_delivery.id, "status": "delivered"}, "rcpt-secret").status_code == 409


def test_the_openapi_schema_still_builds_with_the_touchpoints_endpoints(viewer_api):
    answer = viewer_api.get("/api/schema/?format=json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    assert {"/api/v1/channels/", "/api/v1/channels/{key}/", "/api/v1/templates/{slug}/", "/api/v1/receipts/", "/api/v1/deliveries/"} <= set(paths)
