"""Forecast from the editor: the drawer runs a forecast in a real Celery worker, the progress bar
fills, and the predicted counts appear on the cards; then a single member's path is shown."""

from datetime import timedelta

from django.utils import timezone

from journeys import services
from tests.factories import MemberFactory

from .canvas_support import card, english, onboarding_channels, onboarding_document, open_editor, screenshot


def test_a_forecast_run_from_the_editor_shows_the_predicted_counts_on_the_cards(live_login, live_server, editor,
                                                                                   celery_worker_factory):
    celery_worker_factory()
    onboarding_channels()
    journey = services.journey_create(document=onboarding_document())
    MemberFactory.create_batch(40, registered_at=timezone.now() - timedelta(days=3))
    page = live_login(editor)
    english(page, live_server)
    page.set_viewport_size({"width": 1440, "height": 900})
    open_editor(page, live_server, journey)

    page.click("[data-action=open-forecast]")
    form = page.locator("[data-forecast-form]")
    form.wait_for()
    form.locator("[name=days]").fill("7")
    form.locator("[data-action=run-forecast]").click()
    page.locator("[data-forecast-progress]").wait_for()
    page.wait_for_selector("[data-forecast-progress][data-status=done]", timeout=90000)
    screenshot(page, "forecast-canvas.png")

    start = card(page, "start").locator(".fc-card-forecast")
    start.wait_for()
    assert start.get_attribute("data-forecast-count") == "40"
    assert start.inner_text() == "≈ 40 predicted"
    assert page.locator(".jc-card-stats:visible").count() == 0  # a draft: no live counters, only the prediction

    page.click("text=Open the report")
    page.wait_for_selector("[data-nodes]")
    assert "members" in page.locator(".fc-kpis").inner_text()
    screenshot(page, "forecast-report.png")


def test_the_editor_drawer_shows_a_synthetic_members_path_with_reasons(live_login, live_server, editor):
    onboarding_channels()
    journey = services.journey_create(document=onboarding_document())
    page = live_login(editor)
    english(page, live_server)
    page.set_viewport_size({"width": 1440, "height": 900})
    open_editor(page, live_server, journey)

    page.click("[data-action=open-forecast]")
    test = page.locator("[data-test-member]")
    test.wait_for()
    test.locator("[name=events]").fill("order_paid 4 10")
    test.locator("[data-action=test-member]").click()
    path = page.locator("[data-path]")
    path.wait_for()
    assert path.locator(".fc-step").count() >= 3
    assert "would be sent at" in path.inner_text()
    page.locator("[data-test-member]").scroll_into_view_if_needed()
    screenshot(page, "forecast-test-member.png")
