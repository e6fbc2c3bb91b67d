from datetime import timedelta

from journeys import services
from journeys.stats import journey_stats
from tests.journeys.conftest import T0, minimal, publish, tick


def test_stats_of_an_unpublished_draft_list_its_nodes_with_zero_counts(db):
    journey = services.journey_create(document=minimal([{"key": "end", "type": "exit"}], [{"from": "start", "to": "end"}],
                                                       goals=[{"key": "bought", "event": "order_paid", "window_days": 7}]))
    assert journey_stats(journey) == {
        "nodes": {key: {"entered": 0, "active": 0, "branches": {}, "conversions": {"bought": 0}} for key in ("start", "end")},
        "goals": {"bought": 0}, "enrolled": 0}


def test_stats_count_visits_members_at_each_node_and_departures_per_branch(members):
    journey = publish(minimal([{"key": "d", "type": "delay", "config": {"hours": 1}}, {"key": "end", "type": "exit"}],
                              [{"from": "start", "to": "d"}, {"from": "d", "to": "end"}]))
    people = members(3)
    services.enroll_members(journey, [m.external_id for m in people], at=T0)
    tick(T0)
    services.enroll_members(journey, [members(1)[0].external_id], at=T0 + timedelta(hours=1))
    tick(T0 + timedelta(hours=1))
    nodes = journey_stats(journey)["nodes"]
    assert (nodes["start"]["entered"], nodes["d"]["entered"], nodes["d"]["active"], nodes["d"]["branches"],
            nodes["end"]["entered"]) == (4, 4, 1, {"next": 3}, 3)
    assert journey_stats(journey)["enrolled"] == 4
