import json

import pytest

from forecasts.models import Forecast
from journeys import clock
from forecasts.services import run_forecast, start_forecast
from tests.factories import JourneyFactory, MemberFactory
from tests.forecasts.conftest import NEVER_ORDERS, T0, onboarding_like
from tests.forecasts.test_forecast import members


@pytest.fixture
def journey(channels):
    return JourneyFactory(draft=onboarding_like())


@pytest.fixture
def done(journey):
    members(2, attributes={"city": "上海"})
    with clock.frozen(T0):
        return run_forecast(start_forecast(journey, {"population": "recent", "days": 4}), model=NEVER_ORDERS)


def en(client, user):
    client.force_login(user)
    client.post("/i18n/setlang/", {"language": "en"})
    return client


def test_the_forecast_api_queues_a_forecast_of_the_draft_and_answers_202(api, journey):
    response = api.post(f"/api/v1/journeys/{journey.pk}/forecasts", {"population": "recent", "days": 10}, format="json")

    assert response.status_code == 202
    forecast = Forecast.objects.get()
    assert response.json()["id"] == forecast.pk and forecast.status == "queued"
    assert forecast.params["days"] == 10 and forecast.document == journey.draft


def test_the_forecast_api_refuses_bad_parameters_with_400_and_creates_nothing(api, journey):
    response = api.post(f"/api/v1/journeys/{journey.pk}/forecasts/", {"population": "segment", "segment": "nope"}, format="json")

    assert response.status_code == 400 and "segment" in response.json()["detail"]
    assert Forecast.objects.count() == 0


def test_a_viewer_may_read_forecasts_but_not_start_one(viewer_api, journey, done):
    assert viewer_api.get(f"/api/v1/forecasts/{done.pk}").json()["results"]["enrolled"] == 2
    assert viewer_api.post(f"/api/v1/journeys/{journey.pk}/forecasts", {"population": "recent"}, format="json").status_code == 403


def test_the_test_member_api_answers_the_path_of_the_member(api, journey):
    member = MemberFactory(attributes={"city": "上海"})

    response = api.post(f"/api/v1/journeys/{journey.pk}/test-member", {"member": member.external_id, "days": 5}, format="json")

    assert response.status_code == 200
    assert [s["node"] for s in response.json()["path"]] == ["start", "ab", "city", "hello", "w", "nudge", "done"]


def test_the_test_member_api_refuses_bad_input_with_400(api, journey):
    response = api.post(f"/api/v1/journeys/{journey.pk}/test-member", {"profile": {}, "events": "order_paid"}, format="json")

    assert response.status_code == 400 and response.json() == {"detail": "events: a list is required"}


def test_the_report_page_shows_deliveries_per_channel_per_day_with_cost_and_the_model_used(client, editor, done):
    page = en(client, editor).get(f"/forecasts/{done.pk}/").content.decode()

    assert "Messages per channel per day" in page and "2026-03-05" in page
    assert "0.2000" in page  # two wechat nudges at 0.10
    assert "Behaviour model" in page and "given" in page


def test_the_progress_partial_of_a_finished_forecast_triggers_the_canvas_overlay(client, editor, done):
    response = en(client, editor).get(f"/forecasts/{done.pk}/progress/", HTTP_HX_REQUEST="true")

    trigger = json.loads(response["HX-Trigger"])["jc:forecast-ready"]
    assert trigger["nodes"]["city"]["entered"] == 2
    assert 'aria-valuenow="100"' in response.content.decode()


def test_a_bad_forecast_form_shows_the_error_at_the_field_and_creates_nothing(client, editor, journey):
    response = en(client, editor).post(f"/forecasts/journeys/{journey.pk}/new/", {"population": "segment", "days": 30, "limit": 10},
                                       HTTP_HX_REQUEST="true")

    assert response.status_code == 200 and "Choose a segment." in response.content.decode()
    assert Forecast.objects.count() == 0


def test_the_test_member_form_shows_the_path_with_reasons(client, editor, journey):
    response = en(client, editor).post(f"/forecasts/journeys/{journey.pk}/test/", {
        "source": "draft", "attributes": '{"city": "上海"}', "registered_days_ago": 1, "events": "order_paid 1 2", "days": 5,
    }, HTTP_HX_REQUEST="true")

    page = response.content.decode()
    assert response.status_code == 200 and "data-path" in page
    assert "yes: " in page and "sms / welcome: would be sent at" in page


def test_a_viewer_may_not_run_the_member_test(viewer_api, journey):
    response = viewer_api.post(f"/api/v1/journeys/{journey.pk}/test-member", {"profile": {}}, format="json")

    assert response.status_code == 403


def test_the_test_member_form_names_an_unknown_member_at_the_field(client, editor, journey):
    response = en(client, editor).post(f"/forecasts/journeys/{journey.pk}/test/", {
        "source": "draft", "member": "ghost", "registered_days_ago": 0, "days": 5}, HTTP_HX_REQUEST="true")

    assert "no member" in response.content.decode() and "data-path" not in response.content.decode()


def test_the_panel_page_works_without_htmx(client, viewer, journey):
    page = en(client, viewer).get(f"/forecasts/journeys/{journey.pk}/").content.decode()

    assert "Forecast the draft" in page and "Test a member" in page and "<html" in page
