import pytest
from django.core import mail

from tests.factories import ChannelFactory, MemberFactory
from touchpoints import services
from touchpoints.channels.base import ConfigError, Message, PermanentError, TransientError
from touchpoints.channels.registry import BACKENDS, get_backend, validate_channel
from touchpoints.models import Channel


def message(**overrides):
    fields = {"delivery_id": 7, "idempotency_key": "jc-1-send1-0-7", "recipient": "13800000000", "body": "Hi Li",
              "subject": "Welcome", "fields": {"template_id": "TPL-1", "data": {"thing1": "Li"}}}
    return Message(**{**fields, **overrides})


def channel(kind, backend, config, **kwargs):
    return Channel(key=f"{backend}-test", kind=kind, backend=backend, config=config, **kwargs)


PROVIDERS = {
    "sms": {"account": "acme", "api_key": "key-1", "signature": "【Fresh】"},
    "wechat_template": {"app_id": "wx1", "access_token": "tok"},
    "miniprogram": {"app_id": "wx2", "access_token": "tok"},
    "wecom": {"corp_id": "c1", "agent_id": "1000002", "access_token": "tok"},
    "push": {"app_key": "ak", "master_secret": "ms"},
}


@pytest.mark.parametrize("name", sorted(PROVIDERS))
def test_provider_backends_post_to_the_configured_endpoint_with_credentials_and_the_idempotency_key(provider, name):
    config = {"endpoint": provider.url, **PROVIDERS[name]}
    validate_channel(name, name, config)
    result = get_backend(name).send(channel(name, name, config), message())
    [request] = provider.requests
    assert request["headers"]["Idempotency-Key"] == "jc-1-send1-0-7"
    assert request["headers"]["Authorization"].startswith("Bearer ")
    assert "13800000000" in request["raw"].decode()
    assert result.provider_message_id == "prov-1"


def test_the_sms_backend_puts_the_signature_in_front_of_the_text(provider):
    config = {"endpoint": provider.url, **PROVIDERS["sms"]}
    get_backend("sms").send(channel("sms", "sms", config), message())
    assert provider.requests[0]["json"]["text"] == "【Fresh】Hi Li"


def test_the_wechat_backend_sends_the_field_map_and_its_dedup_id(provider):
    config = {"endpoint": provider.url, **PROVIDERS["wechat_template"]}
    get_backend("wechat_template").send(channel("wechat_template", "wechat_template", config), message())
    body = provider.requests[0]["json"]
    assert body["data"] == {"thing1": {"value": "Li"}}
    assert (body["template_id"], body["client_msg_id"]) == ("TPL-1", "jc-1-send1-0-7")


@pytest.mark.parametrize("answer, error", [
    ((500, {}), TransientError), ((503, {}), TransientError), ((429, {}), TransientError),
    ((400, {}), PermanentError), ((401, {}), PermanentError), ((404, {}), PermanentError),
    ((200, {"errcode": 40003, "errmsg": "invalid openid"}), PermanentError),
    ((200, {"errcode": -1, "errmsg": "system busy"}), TransientError),
])
def test_provider_errors_say_whether_they_are_permanent(provider, answer, error):
    provider.answer(answer)
    config = {"endpoint": provider.url, **PROVIDERS["wechat_template"]}
    with pytest.raises(error):
        get_backend("wechat_template").send(channel("wechat_template", "wechat_template", config), message())


def test_an_unreachable_provider_is_a_transient_error():
    config = {"endpoint": "http://127.0.0.1:9/send", "timeout": 2, **PROVIDERS["sms"]}
    with pytest.raises(TransientError):
        get_backend("sms").send(channel("sms", "sms", config), message())


def test_the_email_backend_goes_through_djangos_mail_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    result = get_backend("email").send(channel("email", "email", {"from_email": "news@example.com"}),
                                       message(recipient="li@example.com"))
    [sent] = mail.outbox
    assert (sent.subject, sent.body, sent.to) == ("Welcome", "Hi Li", ["li@example.com"])
    assert sent.extra_headers["X-Idempotency-Key"] == "jc-1-send1-0-7"
    assert result.provider_message_id


def test_the_console_backend_logs_the_rendered_message(caplog):
    caplog.set_level("INFO", logger="touchpoints.console")
    get_backend("console").send(channel("sms", "console", {}), message())
    assert "Hi Li" in caplog.text and "jc-1-send1-0-7" in caplog.text


@pytest.mark.parametrize("kind, backend, config, words", [
    ("sms", "email", {"from_email": "a@b.c"}, "cannot send"),
    ("sms", "sms", {"endpoint": "http://x/"}, "'account' is required"),
    ("sms", "console", {"colour": "red"}, "unknown config key 'colour'"),
    ("webhook", "webhook", {"url": "javascript:alert(1)"}, "http(s) URL"),
    ("sms", "carrier-pigeon", {}, "unknown backend"),
])
def test_channel_config_is_validated_against_its_backend(kind, backend, config, words):
    with pytest.raises(ConfigError, match=words.replace("(", r"\(").replace(")", r"\)")):
        validate_channel(kind, backend, config)


def test_every_kind_has_a_provider_backend_and_the_console_default():
    for kind in Channel.Kind.values:
        assert any(b.kinds and kind in b.kinds for b in BACKENDS.values()) or kind == "webhook"
    assert BACKENDS["console"].kinds is None and BACKENDS["webhook"].kinds is None


def test_send_test_action_uses_the_channel_backend(provider, db):
    hook = ChannelFactory(key="hook", kind="webhook", backend="webhook", config={"url": provider.url})
    services.send_test(hook, MemberFactory(name="Li"), body="Test for {{ member.name }}")
    assert provider.requests[0]["json"]["body"] == "Test for Li"
