"""Node settings forms: round trips of every onboarding node, field errors, card summaries."""

import pytest
from django.utils import translation

from journeys.forms import FORMS, SettingsForm, branches, summary
from tests.factories import ChannelFactory, SegmentFactory, TemplateFactory

from .conftest import onboarding_document


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def post_data(form):
    """What the browser posts for an unchanged form (BoundField.value() is the rendered value)."""
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = [str(v) for v in value] if isinstance(value, list) else value
    return data


@pytest.mark.django_db
def test_every_onboarding_node_survives_the_round_trip_through_its_form(onboarding_channels):
    for node in onboarding_document()["nodes"]:
        form_class = FORMS[node["type"]]
        form = form_class(post_data(form_class.for_node(node)))
        assert form.is_valid(), (node["key"], form.errors)
        assert form.node() == node


@pytest.mark.django_db
def test_a_wait_without_timeout_is_refused_at_the_timeout_field():
    form = FORMS["wait"]({"key": "w", "event": "order_paid"})
    assert not form.is_valid() and "timeout_days" in form.errors


@pytest.mark.django_db
def test_a_split_needs_two_variants_with_distinct_keys_and_weights():
    one = FORMS["split"]({"key": "ab", "variant_key_0": "a", "variant_weight_0": "50"})
    twice = FORMS["split"]({"key": "ab", "variant_key_0": "a", "variant_weight_0": "50",
                            "variant_key_1": "a", "variant_weight_1": "50"})
    no_weight = FORMS["split"]({"key": "ab", "variant_key_0": "a", "variant_weight_0": "50", "variant_key_1": "b"})
    assert one.errors["__all__"] == ["A split needs at least two variants."]
    assert twice.errors["variant_key_1"] == ["Each variant needs its own key."]
    assert no_weight.errors["variant_weight_1"] == ["Give a weight above 0."]


@pytest.mark.django_db
def test_a_send_template_must_belong_to_the_chosen_channel():
    TemplateFactory(slug="welcome-coupon", channel=ChannelFactory(key="sms"))
    ChannelFactory(key="wechat", kind="wechat_template")
    form = FORMS["send"]({"key": "s", "channel": "wechat", "template": "welcome-coupon"})
    assert form.errors["template"] == ["Template welcome-coupon belongs to channel sms."]


@pytest.mark.django_db
@pytest.mark.parametrize("text, fragment", [("{oops", "Not valid JSON"), ('["tag"]', "JSON object"),
                                             ('{"colour": "red"}', "colour")])
def test_a_bad_condition_rule_is_explained_at_the_rule_field(text, fragment):
    form = FORMS["condition"]({"key": "c", "mode": "rule", "rule": text})
    assert not form.is_valid() and fragment in form.errors["rule"][0]


@pytest.mark.django_db
def test_an_entry_on_a_segment_needs_the_segment_and_produces_the_spec_trigger():
    SegmentFactory(slug="vip")
    missing = FORMS["entry"]({"key": "start", "trigger": "segment"})
    chosen = FORMS["entry"]({"key": "start", "trigger": "segment", "segment": "vip"})
    assert missing.errors["segment"] == ["Choose a segment."]
    assert chosen.is_valid() and chosen.node()["config"] == {"segment": "vip"}


@pytest.mark.django_db
def test_an_action_form_asks_only_for_the_value_its_action_needs():
    points = FORMS["action"]({"key": "a", "action": "grant_points", "points": "100"})
    webhook = FORMS["action"]({"key": "a", "action": "webhook"})
    assert points.is_valid() and points.node()["config"] == {"grant_points": 100}
    assert webhook.errors["url"] == ["Required for this action."]


@pytest.mark.django_db
def test_a_node_key_must_be_a_slug():
    form = FORMS["exit"]({"key": "Not a key!"})
    assert "key" in form.errors


@pytest.mark.parametrize("node, text", [
    ({"type": "wait", "config": {"event": "order_paid", "timeout": {"days": 5}}}, "Wait up to 5 days for order_paid"),
    ({"type": "split", "config": {"variants": [{"key": "A", "weight": 45}, {"key": "B", "weight": 45},
                                               {"key": "control", "weight": 10}]}}, "A 45% / B 45% / control 10%"),
    ({"type": "delay", "config": {"days": 7, "anchor": "entry", "at": "10:00"}}, "7 days after entry, then at 10:00"),
    ({"type": "delay", "config": {"hours": 1}}, "Wait 1 hour"),
    ({"type": "entry", "config": {"inactive": {"event": "order_paid", "days": 15}, "where": {"rfm": "champions"}}},
     "No order_paid for 15 days, where RFM champions"),
    ({"type": "entry", "config": {"segment": "vip"}}, "Members entering segment vip"),
    ({"type": "condition", "config": {"rule": {"goal": "first_order"}}}, "If converted on first_order"),
    ({"type": "send", "config": {"channel": "sms", "template": "welcome-coupon"}}, "Send welcome-coupon via sms"),
    ({"type": "action", "config": {"grant_points": 100}}, "Grant 100 points"),
    ({"type": "action", "config": {"set_attribute": {"tier": "gold"}}}, "Set tier = gold"),
    ({"type": "exit"}, "End of the journey"),
])
def test_node_cards_carry_a_human_summary(node, text):
    assert summary(node) == text


def test_summaries_follow_the_active_language():
    with translation.override("zh-hans"):
        text = summary({"type": "wait", "config": {"event": "order_paid", "timeout": {"days": 5}}})
    assert "order_paid" in text


def test_ports_are_the_spec_branch_names():
    assert branches({"type": "wait"}) == ["matched", "timeout"]
    assert branches({"type": "condition"}) == ["yes", "no"]
    assert branches({"type": "split", "config": {"variants": [{"key": "day2"}, {"key": "control"}]}}) == ["day2", "control"]
    assert branches({"type": "exit"}) == []
    assert branches({"type": "send"}) == ["next"]


@pytest.mark.django_db
def test_settings_form_round_trips_the_onboarding_settings():
    document = onboarding_document()
    form = SettingsForm(post_data(SettingsForm.for_document(document)))
    assert form.is_valid(), form.errors
    assert form.apply(document) == document
