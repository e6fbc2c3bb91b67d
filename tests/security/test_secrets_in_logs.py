"""No secrets in logs: channel credentials and signing secrets, API keys and passwords."""

import json
import logging

import pytest
from django.test import Client

from accounts.tokens import create_token
from tests.factories import ChannelFactory, MemberFactory, TemplateFactory
from tests.touchpoints.conftest import provider  # noqa: F401  (a local HTTP provider)
from tests.touchpoints.factories import DeliveryFactory
from touchpoints import sender
from touchpoints.channels.webhook import sign

pytestmark = pytest.mark.django_db
API_KEY, SIGNING_SECRET, PASSWORD = "sk-live-0123456789abcdef", "whsec-abcdef0123456789", "pass-word-123"


@pytest.fixture
def everything_logged(caplog):
    caplog.set_level(logging.DEBUG)
    return caplog


def test_sending_through_a_provider_that_fails_then_succeeds_logs_no_credential(provider, everything_logged):  # noqa: F811
    channel = ChannelFactory(key="sms", kind="sms", backend="sms", secret=SIGNING_SECRET,
                             config={"endpoint": provider.url, "account": "acct", "api_key": API_KEY})
    member = MemberFactory(external_id="m-log", phone="13800000000")
    DeliveryFactory(channel=channel, template=TemplateFactory(channel=channel), member=member)
    provider.answer((500, {"error": "busy"}))
    sender.run()
    provider_saw = provider.requests[0]["headers"]["Authorization"]
    assert API_KEY in provider_saw  # the credential was used …
    assert API_KEY not in everything_logged.text and SIGNING_SECRET not in everything_logged.text  # … never logged


def test_a_receipt_good_or_forged_logs_neither_the_secret_nor_the_signature(everything_logged):
    channel = ChannelFactory(key="sms", secret=SIGNING_SECRET)
    delivery = DeliveryFactory(channel=channel, status="sent")
    body = json.dumps({"delivery": delivery.id, "status": "delivered"})
    good = sign(SIGNING_SECRET, body.encode())
    client = Client()
    assert client.post("/api/v1/receipts", body, content_type="application/json",
                       HTTP_X_JOURNEY_SIGNATURE=good).status_code == 200
    assert client.post("/api/v1/receipts", body, content_type="application/json",
                       HTTP_X_JOURNEY_SIGNATURE="sha256=forged").status_code == 403
    assert SIGNING_SECRET not in everything_logged.text and good not in everything_logged.text


def test_a_failed_login_logs_no_password(client, editor, everything_logged):
    response = client.post("/login/", {"username": editor.username, "password": PASSWORD + "-wrong"})
    assert response.status_code == 200
    assert PASSWORD not in everything_logged.text


def test_a_refused_api_key_is_not_logged(everything_logged, editor):
    _token, key = create_token(editor, "feed")
    client = Client()
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}x").status_code == 401
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Token {key}").status_code == 200
    assert key not in everything_logged.text


def test_the_channel_api_and_page_never_show_credentials(editor, admin_user):
    ChannelFactory(key="sms", kind="sms", backend="sms", secret=SIGNING_SECRET,
                   config={"endpoint": "https://sms.example/send", "account": "acct", "api_key": API_KEY})
    client = Client()
    client.force_login(admin_user)
    for path in ("/api/v1/channels", "/api/v1/channels/sms", "/touchpoints/channels/sms/", "/touchpoints/"):
        text = client.get(path).content.decode()
        assert API_KEY not in text and SIGNING_SECRET not in text, path
