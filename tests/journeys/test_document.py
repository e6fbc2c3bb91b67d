import copy

import pytest

from journeys import document as doc
from journeys.services import validate_for_publish
from tests.journeys.conftest import minimal, onboarding_document


def keys_of(errors):
    return {e["node"] for e in errors}


def with_node(document, node, *edges):
    changed = copy.deepcopy(document)
    changed["nodes"].append(node)
    changed["edges"].extend(edges)
    return changed


def test_the_onboarding_journey_is_publishable_when_its_channels_and_templates_exist(onboarding_channels):
    assert validate_for_publish(onboarding_document()) == []


def test_a_valid_document_round_trips_through_export_and_import_unchanged(api, onboarding_channels):
    original = onboarding_document()
    created = api.post("/api/v1/journeys", original, format="json").json()
    exported = api.get(f"/api/v1/journeys/{created['id']}").json()
    reimported = api.post("/api/v1/journeys/", exported, format="json").json()
    assert api.get(f"/api/v1/journeys/{reimported['id']}/").json() == original


def test_a_journey_without_an_entry_node_is_refused_at_document_level():
    document = minimal([], [])
    document["nodes"] = [{"key": "end", "type": "exit"}]
    errors = doc.validate(document)
    assert any(e["node"] is None and "entry" in e["message"] for e in errors)


def test_a_second_entry_node_is_refused_naming_it():
    document = with_node(minimal([], []), {"key": "again", "type": "entry", "config": {"manual": True}})
    assert "again" in keys_of(doc.validate(document))


def test_an_edge_to_an_unknown_node_is_refused_naming_its_source():
    document = minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "nowhere"}])
    errors = doc.validate(document)
    assert any(e["node"] == "start" and "nowhere" in e["message"] for e in errors)


def test_a_branch_the_node_does_not_have_is_refused_naming_the_node():
    document = minimal([{"key": "w", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 1}}},
                        {"key": "end", "type": "exit"}],
                       [{"from": "start", "to": "w"}, {"from": "w", "to": "end", "branch": "yes"}])
    errors = doc.validate(document)
    assert any(e["node"] == "w" and '"yes"' in e["message"] for e in errors)


def test_a_node_unreachable_from_the_entry_is_refused_naming_it():
    document = minimal([{"key": "island", "type": "exit"}], [])
    errors = doc.validate(document)
    assert any(e["node"] == "island" and "reached" in e["message"] for e in errors)


def test_a_cycle_without_delay_or_wait_is_refused_naming_a_node_on_it():
    document = minimal([{"key": "a", "type": "action", "config": {"add_tag": "x"}},
                        {"key": "b", "type": "action", "config": {"add_tag": "y"}}],
                       [{"from": "start", "to": "a"}, {"from": "a", "to": "b"}, {"from": "b", "to": "a"}])
    errors = doc.validate(document)
    assert any(e["node"] == "a" and "cycle" in e["message"] for e in errors)


def test_a_cycle_through_a_delay_is_allowed():
    document = minimal([{"key": "a", "type": "action", "config": {"add_tag": "x"}},
                        {"key": "d", "type": "delay", "config": {"days": 1}}],
                       [{"from": "start", "to": "a"}, {"from": "a", "to": "d"}, {"from": "d", "to": "a"}])
    assert doc.validate(document) == []


@pytest.mark.parametrize("node", [
    {"key": "bad", "type": "delay", "config": {"days": -1}},
    {"key": "bad", "type": "delay", "config": {"days": 1, "at": "25:00"}},
    {"key": "bad", "type": "delay", "config": {"days": 1, "weekdays": [0, 8]}},
    {"key": "bad", "type": "delay", "config": {"days": 1, "anchor": "tomorrow"}},
    {"key": "bad", "type": "wait", "config": {"event": "order_paid"}},
    {"key": "bad", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 1}, "where": {"nope": 1}}},
    {"key": "bad", "type": "condition", "config": {"rule": {"attr": "city", "op": "resembles", "value": "x"}}},
    {"key": "bad", "type": "condition", "config": {"rule": {"goal": "undefined_goal"}}},
    {"key": "bad", "type": "condition", "config": {}},
    {"key": "bad", "type": "split", "config": {"variants": [{"key": "only", "weight": 1}]}},
    {"key": "bad", "type": "split", "config": {"variants": [{"key": "a", "weight": 0}, {"key": "b", "weight": 1}]}},
    {"key": "bad", "type": "send", "config": {"channel": "sms"}},
    {"key": "bad", "type": "action", "config": {"add_tag": "x", "remove_tag": "y"}},
    {"key": "bad", "type": "action", "config": {"webhook": {"url": "ftp://example.com"}}},
    {"key": "bad", "type": "exit", "config": {"anything": 1}},
    {"key": "bad", "type": "teleport", "config": {}},
])
def test_config_failing_its_type_schema_is_refused_naming_the_node(node):
    document = with_node(minimal([], []), node, {"from": "start", "to": "bad"})
    errors = doc.validate(document)
    assert errors and all(e["node"] == "bad" for e in errors)


def test_an_entry_with_two_triggers_is_refused_naming_it():
    document = minimal([], [])
    document["nodes"][0]["config"] = {"event": "registered", "manual": True}
    assert keys_of(doc.validate(document)) == {"start"}


def test_an_unknown_channel_or_template_is_refused_naming_the_send_node(onboarding_channels):
    for config in ({"channel": "carrier-pigeon", "template": "welcome-coupon"}, {"channel": "sms", "template": "no-such"}):
        document = with_node(minimal([], []), {"key": "msg", "type": "send", "config": config}, {"from": "start", "to": "msg"})
        errors = validate_for_publish(document)
        assert [e["node"] for e in errors] == ["msg"]


def test_bad_settings_are_reported_without_a_node_key():
    document = minimal([], [], timezone="Mars/Olympus", reentry={"mode": "sometimes"}, goals=[{"key": "g"}])
    errors = doc.validate(document)
    assert len(errors) >= 3 and keys_of(errors) == {None}


def test_a_document_of_another_format_is_refused_whole():
    assert doc.validate({"format": "journey/v0", "nodes": [], "edges": []}) == [
        {"node": None, "message": '"format" must be "journey/v1".'}]
