"""RULE trees: any tree is either compiled and run, or refused with RuleError / a 400 — never a 500."""

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from members.models import Member, Segment
from members.rules import RuleError, compile_rule, validate_rule
from tests.factories import MemberFactory
from tests.property.strategies import as_json, RULES, STRINGS

pytestmark = pytest.mark.django_db

SLUGS = st.from_regex(r"[a-z][a-z0-9-]{0,30}", fullmatch=True)


@pytest.fixture
def some_members(db):
    MemberFactory(attributes={"city": "北京", "points": "12", "会员等级 🎉": "金"})
    MemberFactory(attributes={"city": ["a", "b"], "nested": {"x": 1}})


@settings(max_examples=300)
@given(rule=RULES)
def test_any_rule_either_raises_rule_error_or_compiles_to_a_query_that_runs(some_members, rule):
    try:
        validate_rule(rule)
    except RuleError:
        return
    assert Member.objects.filter(compile_rule(rule, now=timezone.now())).count() >= 0


@settings(max_examples=120)
@given(rule=RULES)
def test_previewing_any_rule_answers_200_or_a_400_naming_the_problem(api, some_members, rule):
    response = api.post("/api/v1/segments/preview", as_json({"rule": rule}), content_type="application/json")
    assert response.status_code in (200, 400), (response.status_code, response.content[:500])
    if response.status_code == 400:
        assert response.json()["detail"]


@settings(max_examples=120)
@given(slug=SLUGS, name=STRINGS, rule=RULES)
def test_creating_a_segment_from_any_rule_is_a_201_or_a_400_that_saves_nothing(api, some_members, slug, name, rule):
    before = list(Segment.objects.order_by("pk").values_list("slug", "name", "rule"))
    response = api.post("/api/v1/segments", as_json({"slug": slug, "name": name, "rule": rule}), content_type="application/json")
    assert response.status_code in (201, 400), (response.status_code, response.content[:500])
    if response.status_code == 400:
        assert list(Segment.objects.order_by("pk").values_list("slug", "name", "rule")) == before
    else:
        assert Segment.objects.get(slug=slug).rule == rule
