"""A viewer sees the canvas and the settings but cannot change anything, in the UI or by a direct POST."""

import json

from journeys import services

from .canvas_support import card, english, onboarding_document, open_editor, screenshot


def test_a_viewer_sees_a_read_only_canvas_and_a_direct_post_is_refused(live_login, live_server, viewer):
    journey = services.journey_create(document=onboarding_document())
    before = (journey.draft, journey.draft_revision)
    page = live_login(viewer)
    english(page, live_server)
    open_editor(page, live_server, journey)

    assert page.locator("[data-node-type]").count() == 0
    assert page.locator("[data-action=publish]").count() == 0
    assert page.locator("[data-save-state]").get_attribute("data-save-state") == "readonly"
    card(page, "ab").click()
    panel = page.locator('[data-panel] [data-node-panel="ab"]')
    panel.wait_for()
    assert panel.locator("[name=label]").is_disabled() and panel.locator("[name=variant_key_0]").is_disabled()
    assert panel.locator("[data-action=apply-node]").count() == 0
    page.keyboard.press("Delete")
    assert card(page, "ab").count() == 1
    screenshot(page, "canvas-viewer.png")

    token = page.evaluate("window.JC.csrf()")
    answer = page.request.post(f"{live_server.url}/journeys/{journey.pk}/draft/", headers={
        "X-CSRFToken": token, "Content-Type": "application/json"},
        data=json.dumps({"document": {**journey.draft, "nodes": []}, "revision": journey.draft_revision}))
    publish = page.request.post(f"{live_server.url}/journeys/{journey.pk}/publish/", headers={"X-CSRFToken": token})
    assert (answer.status, publish.status) == (403, 403)
    journey.refresh_from_db()
    assert (journey.draft, journey.draft_revision, journey.status) == (*before, "draft")
