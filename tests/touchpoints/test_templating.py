import pytest

from tests.factories import ChannelFactory, MemberFactory, TagFactory
from touchpoints import services
from touchpoints.models import Channel
from touchpoints.templating import Rendered, TemplateError, build_context, check_rendered, check_structure, render_string

CONTEXT = {"member": {"name": "Li", "attributes": {"city": "Beijing"}, "tags": ["vip"]}, "coupon_code": "NEW10",
           "journey": {"id": 1, "name": "Welcome", "node": "sms2"}, "variant": "ab:A"}


def test_templates_render_member_attributes_coupon_journey_and_variant():
    source = "{{ member.name }} in {{ member.attributes.city }}: {{ coupon_code }} ({{ journey.name }}/{{ variant }})"
    assert render_string(source, CONTEXT) == "Li in Beijing: NEW10 (Welcome/ab:A)"


def test_filters_and_loops_over_offered_data_still_work():
    assert render_string("{{ member.name|upper }} {% for t in member.tags %}#{{ t }}{% endfor %}", CONTEXT) == "LI #vip"


@pytest.mark.parametrize("source", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ member.__class__ }}",
    "{{ member['__class__'] }}",
    "{{ member|attr('__init__') }}",
    "{{ member.items() }}",
    "{{ member.name.upper() }}",
    "{% import 'os' as os %}",
    "{% from 'x' import y %}",
    "{% include 'base.html' %}",
    "{% extends 'base.html' %}",
    "{% macro m() %}x{% endmacro %}",
    "{{ range(10) }}",
    "{{ lipsum() }}",
    "{{ 'x' * 1000000000 }}",
    "{{ 9 ** 9 ** 9 }}",
    "{{ '%s' % member }}",
    "{{ self }}",
    "{{ config }}",
    "{{ member.nickname }}",
])
def test_the_sandbox_refuses_unsafe_or_unknown_constructs(source):
    with pytest.raises(TemplateError):
        render_string(source, CONTEXT)


def test_the_context_holds_plain_data_only(db):
    member = MemberFactory(name="Li", attributes={"city": "Beijing", "kids": [{"age": 2}]})
    context = build_context(member, tags=["vip"], journey={"id": 3, "name": "W"}, node_key="n1", variant="A")

    def plain(value):
        if isinstance(value, dict):
            return all(isinstance(k, str) and plain(v) for k, v in value.items())
        if isinstance(value, list):
            return all(plain(v) for v in value)
        return value is None or isinstance(value, (str, int, float, bool))

    assert plain(context)
    assert context["member"]["attributes"]["kids"] == [{"age": 2}]


def test_sms_length_is_checked_including_the_signature():
    channel = Channel(kind="sms", config={"signature": "【鲜丰超市】", "max_segments": 1})
    short = check_rendered(channel, Rendered("", "您好" * 32, {}))
    long = check_rendered(channel, Rendered("", "您好" * 33, {}))
    assert short.ok and "70 characters" in short.notes["body"][0]
    assert not long.ok and "2 SMS segments" in long.errors["body"][0]


def test_wechat_templates_need_a_template_id_and_a_field_map():
    channel = Channel(kind="wechat_template")
    report = check_structure(channel, "", "summary", {"data": {"thing1": 3}})
    assert "template_id" in report.errors["fields"][0]
    assert "must be text" in report.errors["fields"][1]
    assert check_structure(channel, "", "s", {"template_id": "T", "data": {"thing1": "{{ member.name }}"}}).ok


def test_mini_program_field_values_respect_wechats_length_limits():
    channel = Channel(kind="miniprogram")
    report = check_rendered(channel, Rendered("", "", {"template_id": "T", "data": {"thing1": "x" * 21, "name2": "Li"}}))
    assert report.errors["fields"] == ["fields.data.thing1 is 21 characters; WeChat allows 20"]


def test_an_email_template_needs_a_subject():
    assert "subject" in check_structure(Channel(kind="email"), "", "body", {}).errors


def test_preview_renders_a_real_member_with_tags_and_reports_checks(db):
    channel = ChannelFactory(key="sms", kind="sms", config={"signature": "【Fresh】"})
    member = MemberFactory(name="Zhang Wei", attributes={"city": "Shanghai"})
    member.tags.add(TagFactory(name="vip"))
    rendered, report = services.preview(channel, "", "{{ member.name }} from {{ member.attributes.city }} {{ member.tags|join(',') }}",
                                        {}, member)
    assert rendered.body == "Zhang Wei from Shanghai vip"
    assert report.ok and "segment" in report.notes["body"][0]


def test_preview_reports_a_missing_attribute_at_the_body(db):
    rendered, report = services.preview(ChannelFactory(key="sms"), "", "{{ member.attributes.shoe_size }}", {}, MemberFactory())
    assert rendered is None
    assert "shoe_size" in report.errors["body"][0]
