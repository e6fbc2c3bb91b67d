"""Build the canonical onboarding journey from the palette, entirely in the browser, and publish it."""

from journeys.models import Journey
from tests.conftest import api_client_for

from .canvas_support import card, english, onboarding_channels, onboarding_document, screenshot, wait_saved

# Where each step goes on the 7 × 3 drop grid (column, row): roughly the order members flow through.
GRID = {
    "start": (0, 0), "ab": (1, 0), "d2": (2, 0), "d3": (2, 1), "hold": (2, 2), "ordered": (3, 0), "nudge1": (3, 1),
    "w1": (4, 1), "d7": (5, 1), "nudge7": (6, 1), "w7": (6, 2), "d30": (5, 2), "nudge30": (4, 2), "w30": (3, 2),
    "first": (4, 0), "w2": (5, 0), "rebuy": (6, 0), "w2b": (1, 1), "second": (1, 2), "done": (0, 1), "lost": (0, 2),
}


def form_fields(node):
    """The settings form input an operator types for this onboarding node, in the order they type it."""
    config = node.get("config", {})
    kind = node["type"]
    if kind == "entry":
        return {"trigger": "event", "event": config["event"]}
    if kind == "delay":
        return {"days": str(config["days"]), "anchor": config["anchor"], "at": config["at"]}
    if kind == "split":
        fields = {}
        for i, variant in enumerate(config["variants"]):
            fields[f"variant_key_{i}"] = variant["key"]
            fields[f"variant_weight_{i}"] = str(variant["weight"])
        return fields
    if kind == "condition":
        return {"mode": "rule", "rule": '{"goal": "first_order"}'}
    if kind == "send":
        return {"channel": config["channel"], "template": config["template"]}
    if kind == "wait":
        return {"event": config["event"], "timeout_days": str(config["timeout"]["days"])}
    if kind == "action":
        if "add_tag" in config:
            return {"action": "add_tag", "tag": config["add_tag"]}
        return {"action": "grant_points", "points": str(config["grant_points"])}
    return {}


def fill(scope, fields):
    for name, value in fields.items():
        field = scope.locator(f'[name="{name}"]')
        kind = field.first.evaluate("e => e.tagName + ':' + (e.type || '')")
        if kind.startswith("SELECT"):
            field.select_option(value)
        elif kind.endswith(":radio"):
            scope.locator(f'[name="{name}"][value="{value}"]').check()
        else:
            field.fill(value)


def apply_node(page, node):
    panel = page.locator("[data-panel] [data-node-panel]")
    panel.wait_for()
    fill(panel, {"label": node["label"], "key": node["key"], **form_fields(node)})
    panel.locator("[data-action=apply-node]").click()
    page.locator(f'[data-panel] [data-node-panel="{node["key"]}"] .jc-applied').wait_for()
    page.locator("[data-panel] [data-action=close-panel]").click()


def test_an_operator_builds_the_onboarding_journey_from_the_palette_and_publishes_it(live_login, live_server, editor):
    onboarding_channels()
    expected = onboarding_document()
    page = live_login(editor)
    english(page, live_server)
    page.click("form[action$='/journeys/new/'] button.primary")
    page.wait_for_function("window.jcCanvas !== undefined")
    journey = Journey.objects.get()
    screenshot(page, "canvas-empty.png")

    canvas = page.locator("#drawflow")
    for _ in range(5):
        page.click("[data-action=zoom-out]")
    cell = lambda col, row: {"x": 75 + col * 140, "y": 60 + row * 230}  # noqa: E731

    # The blank journey starts with its entry step: move it to its place and configure it.
    card(page, "start").drag_to(canvas, target_position=cell(*GRID["start"]))
    card(page, "start").click()
    apply_node(page, expected["nodes"][0])

    for node in expected["nodes"][1:]:
        page.locator(f'[data-node-type="{node["type"]}"]').drag_to(canvas, target_position=cell(*GRID[node["key"]]))
        apply_node(page, node)

    page.click("[data-action=settings]")
    settings = page.locator("[data-panel] [data-settings-panel]")
    settings.wait_for()
    fill(settings, {"name": expected["name"], "description": expected["description"],
                    "goal_key_0": "first_order", "goal_event_0": "order_paid", "goal_nth_0": "1", "goal_window_0": "30",
                    "goal_key_1": "second_order", "goal_event_1": "order_paid", "goal_nth_1": "2", "goal_window_1": "60",
                    "exit_on": "unsubscribed", "quiet_start": "22:00", "quiet_end": "08:00", "cap_max": "2",
                    "cap_hours": "24", "priority": "10"})
    settings.locator("[data-action=apply-settings]").click()
    page.locator("[data-panel] [data-settings-panel] .jc-applied").wait_for()
    page.locator("[data-panel] [data-action=close-panel]").click()

    for edge in expected["edges"]:
        branch = edge.get("branch", "next")
        card(page, edge["from"]).locator(f'.output[title="{branch}"]').drag_to(card(page, edge["to"]).locator(".input"))
    wait_saved(page)
    assert len(page.locator(".drawflow .connection").all()) == len(expected["edges"])

    page.click("[data-action=layout]")
    wait_saved(page)
    card(page, "ab").click()
    page.locator('[data-panel] [data-node-panel="ab"]').wait_for()
    screenshot(page, "canvas-building.png")

    page.click("[data-action=publish]")
    page.locator(".jc-bar .pill-live").wait_for()

    answer = api_client_for(editor).get(f"/api/v1/journeys/{journey.pk}")
    document = answer.json()
    assert {n["key"]: (n["type"], n.get("label"), n.get("config")) for n in document["nodes"]} == \
        {n["key"]: (n["type"], n.get("label"), n.get("config")) for n in expected["nodes"]}
    assert sorted((e["from"], e["to"], e.get("branch", "next")) for e in document["edges"]) == \
        sorted((e["from"], e["to"], e.get("branch", "next")) for e in expected["edges"])
    assert document["settings"]["goals"] == expected["settings"]["goals"]
    assert all("position" in n for n in document["nodes"])
    journey.refresh_from_db()
    assert journey.status == "live" and journey.current_version.number == 1
