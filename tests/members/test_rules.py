import pytest

from members.models import Member
from members.rules import RuleError, compile_event_where, compile_rule, validate_event_where, validate_rule
from tests.members.conftest import NOW

pytestmark = pytest.mark.django_db

DOMAIN_EXAMPLE = {"all": [
    {"attr": "city", "op": "eq", "value": "Beijing"},
    {"event": "visit", "count": {"gte": 3}, "within_days": 90},
    {"event": "order_paid", "count": {"gte": 1}},
    {"not": {"event": "order_paid", "count": {"gte": 1}, "within_days": 7,
             "where": {"attr": "brand", "op": "eq", "value": "Shiseido"}}},
]}


def matching(rule, **kwargs):
    return set(Member.objects.filter(compile_rule(rule, now=NOW, **kwargs)).values_list("external_id", flat=True))


def test_the_domain_example_selects_beijing_visitors_who_ordered_but_not_shiseido_this_week(population):
    assert matching(DOMAIN_EXAMPLE) == {"ann", "gus"}


@pytest.mark.parametrize(("leaf", "expected"), [
    ({"attr": "city", "op": "eq", "value": "Beijing"}, {"ann", "bob", "dan", "eve", "gus"}),
    ({"attr": "city", "op": "ne", "value": "Beijing"}, {"cat", "fay"}),
    ({"attr": "city", "op": "in", "value": ["Shanghai", "Beijing"]}, {"ann", "bob", "cat", "dan", "eve", "gus"}),
    ({"attr": "age", "op": "gt", "value": 40}, {"bob", "cat"}),
    ({"attr": "age", "op": "gte", "value": 30}, {"ann", "bob", "cat"}),
    ({"attr": "age", "op": "lt", "value": 30}, {"gus"}),
    ({"attr": "age", "op": "lte", "value": 30}, {"ann", "gus"}),
    ({"attr": "age", "op": "eq", "value": 45}, {"bob"}),
    ({"attr": "age", "op": "in", "value": [18, 52]}, {"cat", "gus"}),
    ({"attr": "city", "op": "contains", "value": "jing"}, {"ann", "bob", "dan", "eve", "gus"}),
    ({"attr": "interests", "op": "contains", "value": "milk"}, {"ann"}),
    ({"attr": "age", "op": "exists"}, {"ann", "bob", "cat", "dan", "gus"}),
    ({"attr": "age", "op": "exists", "value": False}, {"eve", "fay"}),
    ({"attr": "vip", "op": "eq", "value": True}, {"eve"}),
    ({"attr": "points", "op": "gte", "value": 20}, {"ann", "bob"}),
    ({"attr": "email", "op": "exists"}, {"cat"}),
    ({"attr": "external_id", "op": "in", "value": ["ann", "zed"]}, {"ann"}),
    ({"attr": "registered_at", "op": "gt", "value": "2026-04-15"}, {"fay", "gus"}),
])
def test_attribute_leaves_compare_attributes_and_fixed_fields(population, leaf, expected):
    assert matching(leaf) == expected


def test_numeric_comparisons_on_json_attributes_compare_numbers_not_text(population):
    # As text, "45" < "5" and "unknown" > "40"; as numbers only 45 and 52 exceed 5 and 40.
    assert matching({"attr": "age", "op": "gt", "value": 5}) == {"ann", "bob", "cat", "gus"}
    assert "dan" not in matching({"attr": "age", "op": "gt", "value": 40})


def test_a_tag_leaf_selects_members_with_that_tag(population):
    assert matching({"tag": "vip"}) == {"ann", "bob"}
    assert matching({"tag": "nobody-has-this"}) == set()


@pytest.mark.parametrize(("leaf", "expected"), [
    ({"event": "visit", "count": {"gte": 3}, "within_days": 90}, {"ann", "bob", "cat", "eve", "gus"}),
    ({"event": "visit", "count": {"gte": 4}}, {"cat", "dan", "eve"}),
    ({"event": "visit", "count": {"eq": 3}}, {"ann", "bob", "gus"}),
    ({"event": "visit", "count": {"gt": 3, "lt": 5}}, {"dan", "eve"}),
    ({"event": "order_paid", "count": {"eq": 0}}, {"eve", "fay"}),
    ({"event": "order_paid", "count": {"lt": 2}}, {"ann", "bob", "dan", "eve", "fay", "gus"}),
    ({"event": "order_paid", "count": {"lte": 1}, "within_days": 30}, {"ann", "bob", "cat", "dan", "eve", "fay", "gus"}),
    ({"event": "order_paid"}, {"ann", "bob", "cat", "dan", "gus"}),
    ({"event": "order_paid", "where": {"attr": "value", "op": "gte", "value": 100}}, {"ann", "bob"}),
    ({"event": "order_paid", "where": {"any": [{"attr": "brand", "op": "eq", "value": "Lancome"},
                                                {"attr": "value", "op": "lt", "value": 60}]}}, {"ann", "dan"}),
])
def test_event_leaves_count_events_in_the_window_matching_where(population, leaf, expected):
    assert matching(leaf) == expected


def test_last_event_matches_members_whose_last_such_event_is_older_than_n_days(population):
    # dan ordered 100 days ago; eve and fay never ordered but registered long enough ago;
    # gus ordered 10 days ago, ann 20 days ago (not older than 30).
    assert matching({"last_event": "order_paid", "older_than_days": 15}) == {"ann", "dan", "eve", "fay"}
    assert matching({"last_event": "order_paid", "older_than_days": 30}) == {"dan", "eve", "fay"}


def test_a_member_who_never_did_the_event_is_lapsed_only_once_registered_longer_than_n_days(population):
    # fay registered 40 days ago and never ordered: lapsed at 30 days, not yet at 60.
    assert "fay" in matching({"last_event": "order_paid", "older_than_days": 30})
    assert "fay" not in matching({"last_event": "order_paid", "older_than_days": 60})
    Member.objects.filter(external_id="fay").update(registered_at=None)
    assert "fay" not in matching({"last_event": "order_paid", "older_than_days": 30})


def test_rfm_and_stage_leaves_select_the_stored_group_and_stage(population):
    Member.objects.filter(external_id__in=["ann", "cat"]).update(rfm_group="champions", lifecycle_stage="maturity")
    Member.objects.filter(external_id="bob").update(rfm_group="at_risk", lifecycle_stage="dormancy")
    assert matching({"rfm": "champions"}) == {"ann", "cat"}
    assert matching({"stage": "dormancy"}) == {"bob"}


def test_all_any_and_not_combine_their_children(population):
    vip = {"tag": "vip"}
    shanghai = {"attr": "city", "op": "eq", "value": "Shanghai"}
    assert matching({"all": [vip, {"attr": "age", "op": "gt", "value": 40}]}) == {"bob"}
    assert matching({"any": [vip, shanghai]}) == {"ann", "bob", "cat"}
    assert matching({"not": vip}) == {"cat", "dan", "eve", "fay", "gus"}
    assert matching({"not": {"any": [vip, {"not": shanghai}]}}) == {"cat"}


def test_a_goal_leaf_is_answered_by_the_resolver(population):
    from django.db.models import Q

    resolver = lambda key: Q(external_id__in=["ann"]) if key == "first_order" else Q(pk__in=[])  # noqa: E731
    assert matching({"all": [{"goal": "first_order"}, {"tag": "vip"}]}, goal_resolver=resolver) == {"ann"}


def test_a_goal_leaf_without_a_resolver_is_a_rule_error():
    with pytest.raises(RuleError, match=r"rule\.any\[0\]\.goal"):
        compile_rule({"any": [{"goal": "first_order"}]}, now=NOW)


def test_compile_event_where_filters_events_on_properties_and_value(population):
    from members.models import Event

    q = compile_event_where({"all": [{"attr": "brand", "op": "eq", "value": "Shiseido"}, {"attr": "value", "op": "gt", "value": 90}]})
    assert set(Event.objects.filter(q).values_list("member__external_id", flat=True)) == {"bob", "gus"}


@pytest.mark.parametrize(("rule", "path"), [
    ({"al": []}, "rule: unknown rule 'al'"),
    ({"all": []}, "rule.all: must be a non-empty list"),
    ({"all": [{"attr": "city", "op": "between", "value": 1}]}, "rule.all[0].op: unknown operator 'between'"),
    ({"attr": "city", "op": "eq"}, "rule.value: operator 'eq' needs a value"),
    ({"attr": "city", "op": "in", "value": "Beijing"}, "rule.value: 'in' takes a non-empty list"),
    ({"tag": "vip", "extra": 1}, "rule: unknown key(s) 'extra'"),
    ({"event": "visit", "count": {"atleast": 3}}, "rule.count.atleast: unknown count operator"),
    ({"event": "visit", "within_days": -1}, "rule.within_days"),
    ({"any": [{"event": "order_paid", "where": {"tag": "vip"}}]}, "rule.any[0].where: unknown rule 'tag'"),
    ({"last_event": "order_paid"}, "rule.older_than_days: is required"),
    ({"rfm": "kings"}, "rule.rfm: unknown value 'kings'"),
    ({"stage": "teen"}, "rule.stage: unknown value 'teen'"),
    ({"not": {"tag": "vip"}, "tag": "x"}, "rule: a rule has exactly one kind"),
    ("city = Beijing", "rule: a rule must be a non-empty JSON object"),
    ({"attr": "registered_at", "op": "gt", "value": "last week"}, "rule.value: registered_at compares"),
])
def test_invalid_rules_raise_rule_error_naming_the_path_and_problem(rule, path):
    with pytest.raises(RuleError) as raised:
        validate_rule(rule)
    assert str(raised.value).startswith(path)


def test_rule_error_is_a_value_error_and_event_where_allows_only_attribute_leaves():
    assert issubclass(RuleError, ValueError)
    with pytest.raises(RuleError, match="where: unknown rule 'event'"):
        validate_event_where({"event": "x"})
