"""In the browser: markup in names stays text on the canvas, and the token page shows a new key once."""

from journeys import services

from .canvas_support import card, english, onboarding_channels, onboarding_document, open_editor, screenshot

PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


def test_markup_in_journey_and_node_names_never_runs_on_the_canvas(live_login, live_server, editor):
    onboarding_channels()
    document = onboarding_document()
    document["name"] = f"Recall {PAYLOAD}"
    for node in document["nodes"]:
        if node["key"] in ("start", "ab"):
            node["label"] = f"{node['key']} {PAYLOAD}"
    journey = services.journey_create(document=document, user=editor)
    services.journey_publish(journey, user=editor)
    page = live_login(editor)
    english(page, live_server)
    open_editor(page, live_server, journey)

    assert card(page, "start").locator(".jc-card-label").inner_text() == f"start {PAYLOAD}"
    card(page, "ab").click()
    page.locator('[data-panel] [data-node-panel="ab"]').wait_for()
    page.click("[data-action=settings]")
    history = page.locator("[data-panel] .audit-history")
    history.wait_for()
    assert "published" in history.inner_text() and editor.username in history.inner_text()
    assert page.evaluate("window.__xss === undefined")
    screenshot(page, "security-canvas-escaped.png")


def test_a_new_token_is_shown_once_and_listed_afterwards_without_its_key(live_login, live_server, editor):
    page = live_login(editor)
    english(page, live_server)
    page.goto(f"{live_server.url}/preferences/tokens/")
    page.fill("input[name=name]", "POS event feed")
    page.click("button[type=submit].primary")
    key = page.locator("#new-token-key").inner_text()
    assert key.startswith("jc_")
    screenshot(page, "security-token-created.png")
    page.goto(f"{live_server.url}/preferences/tokens/")
    assert page.locator("#new-token-key").count() == 0
    assert "POS event feed" in page.content() and key not in page.content()
