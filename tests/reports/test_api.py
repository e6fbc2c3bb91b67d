from datetime import timedelta

import pytest

from journeys.models import NodeStat
from reports import statistics as st

from .test_ab import variant_world


@pytest.fixture
def counted(onboarding):
    """The onboarding fixture with engine counters for a few nodes, as the engine would leave them."""
    journey, version = onboarding.journey, onboarding.version
    NodeStat.objects.bulk_create([
        NodeStat(journey=journey, version=version, node_key="start", metric="entered", count=700),
        NodeStat(journey=journey, version=version, node_key="start", metric="branch:next", count=700),
        NodeStat(journey=journey, version=version, node_key="ab", metric="entered", count=700),
        NodeStat(journey=journey, version=version, node_key="ab", metric="branch:day2", count=300),
        NodeStat(journey=journey, version=version, node_key="ab", metric="branch:day3", count=300),
        NodeStat(journey=journey, version=version, node_key="ab", metric="branch:control", count=100),
        NodeStat(journey=journey, version=version, node_key="hold", metric="active", count=100),
        NodeStat(journey=journey, version=version, node_key="", metric="conversion:first_order", count=95),
    ])
    variant_world(onboarding, {"day2": (300, 30), "day3": (300, 60), "control": (100, 5)})
    return onboarding


def test_stats_answers_spec_shape_per_node_per_goal_and_per_variant(viewer_api, counted):
    response = viewer_api.get(f"/api/v1/journeys/{counted.journey.pk}/stats")
    assert response.status_code == 200
    body = response.json()
    assert body["enrolled"] == 700
    assert body["nodes"]["ab"]["branches"] == {"day2": 300, "day3": 300, "control": 100}
    assert body["nodes"]["hold"]["active"] == 100
    assert body["goals"] == {"first_order": 95, "second_order": 0}
    day3 = body["splits"]["ab"]["variants"]["day3"]
    assert day3["members"] == 300
    assert day3["conversions"] == {"first_order": 60, "second_order": 0}
    assert day3["rate"] == pytest.approx(0.2)
    assert day3["ci"] == pytest.approx(list(st.wilson_interval(60, 300)))
    assert day3["p_value"] == pytest.approx(st.two_proportion_z_test(30, 300, 60, 300).p_value)
    assert body["splits"]["ab"]["variants"]["day2"]["p_value"] is None
    assert body["splits"]["ab"]["variants"]["control"]["holdout"] is True
    assert body["splits"]["ab"]["chi_squared"]["first_order"]["dof"] == 2
    assert body["splits"]["ab"]["verdict"]["code"] in {"winner", "too_early", "no_difference", "unclear"}


def test_stats_path_matches_without_trailing_slash_and_with_it(viewer_api, counted):
    pk = counted.journey.pk
    assert viewer_api.get(f"/api/v1/journeys/{pk}/stats/").status_code == 200
    assert viewer_api.get(f"/api/v1/journeys/{pk}/funnel/").status_code == 200


def test_stats_of_an_unknown_journey_is_a_json_404(viewer_api, db):
    response = viewer_api.get("/api/v1/journeys/999999/stats")
    assert response.status_code == 404
    assert response.json() == {"detail": "Journey not found."}


def test_reports_api_needs_authentication(client, counted):
    assert client.get(f"/api/v1/journeys/{counted.journey.pk}/stats").status_code in (401, 403)


def test_funnel_answers_overall_per_variant_and_per_week_cohort(viewer_api, counted):
    rows = counted.enrol(4, assignments={"ab": "day2"}, at=counted.version.published_at + timedelta(days=8))
    counted.convert(rows[:1], "first_order", after=timedelta(hours=30))
    body = viewer_api.get(f"/api/v1/journeys/{counted.journey.pk}/funnel?cohort=week&tz=Asia/Shanghai").json()
    assert body["cohort"] == "week" and body["timezone"] == "Asia/Shanghai"
    assert body["goals"] == ["first_order", "second_order"]
    assert body["overall"]["entered"] == 704
    assert body["overall"]["steps"][0]["members"] == 96
    assert body["variants"]["ab"]["day2"]["entered"] == 304
    assert [(c["cohort"], c["entered"]) for c in body["cohorts"]] == [("2026-11-02", 700), ("2026-11-09", 4)]
    assert set(body["cohorts"][0]["converted_by_day"]) == {"2", "3", "7", "30"}


@pytest.mark.parametrize(("query", "field"), [("cohort=month", "cohort"), ("tz=Mars/Olympus", "tz"), ("tz=../etc", "tz")])
def test_funnel_with_a_bad_parameter_is_a_clear_400(viewer_api, counted, query, field):
    response = viewer_api.get(f"/api/v1/journeys/{counted.journey.pk}/funnel?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_the_openapi_schema_documents_the_reports_endpoints(viewer_api, db):
    response = viewer_api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else response.content.decode()
    assert any("journeys/{id}/stats" in p for p in paths) and any("journeys/{id}/funnel" in p for p in paths)


def test_node_overlay_gives_the_canvas_per_node_entries_and_conversion_rates(counted):
    from journeys.models import NodeStat
    from reports.funnel import node_overlay

    NodeStat.objects.create(journey=counted.journey, version=counted.version, node_key="ab", metric="conversion:first_order", count=70)
    overlay = node_overlay(counted.journey)
    assert set(overlay) == {n["key"] for n in counted.version.document["nodes"]}
    assert overlay["ab"]["entered"] == 700
    assert overlay["ab"]["conversions"]["first_order"] == 70
    assert overlay["ab"]["rates"]["first_order"] == pytest.approx(0.1)
    assert overlay["w7"]["rates"]["first_order"] is None
