"""Publishing an invalid graph: the server's errors land on the offending steps, nothing is published."""

from journeys import services
from journeys.models import Journey

from .canvas_support import card, english, onboarding_channels, onboarding_document, open_editor, screenshot


def test_an_invalid_graph_shows_each_error_on_its_step_and_is_not_published(live_login, live_server, editor):
    onboarding_channels()
    document = onboarding_document()
    for node in document["nodes"]:
        if node["key"] == "w1":
            node["config"] = {"event": "order_paid"}
        if node["key"] == "nudge7":
            node["config"] = {"channel": "wechat", "template": "spring-sale"}
    journey = services.journey_create(document=document)
    page = live_login(editor)
    english(page, live_server)
    open_editor(page, live_server, journey)

    page.click("[data-action=publish]")
    errors = page.locator("[data-errors]")
    errors.wait_for()
    assert "w1" in errors.inner_text() and "nudge7" in errors.inner_text()
    assert "has-error" in card(page, "w1").get_attribute("class")
    assert "timeout" in card(page, "w1").locator(".jc-card-error").inner_text()
    assert "spring-sale" in card(page, "nudge7").locator(".jc-card-error").inner_text()
    assert "has-error" not in card(page, "w7").get_attribute("class")

    errors.locator('[data-goto="w1"]').click()
    page.locator('[data-panel] [data-node-panel="w1"]').wait_for()
    screenshot(page, "canvas-errors.png")
    journey.refresh_from_db()
    assert (journey.status, journey.current_version) == (Journey.Status.DRAFT, None)
