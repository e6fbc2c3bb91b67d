"""Canvas gestures (delete, undo/redo, copy/paste) and the stale second tab."""

from journeys.models import Journey

from .canvas_support import card, english, open_editor, wait_saved


def new_blank_journey(page):
    page.click("form[action$='/journeys/new/'] button.primary")
    page.wait_for_function("window.jcCanvas !== undefined")
    return Journey.objects.latest("pk")


def drop(page, kind, x, y):
    page.locator(f'[data-node-type="{kind}"]').drag_to(page.locator("#drawflow"), target_position={"x": x, "y": y})


def test_delete_undo_redo_and_copy_paste_of_a_step_are_saved(live_login, live_server, editor):
    page = live_login(editor)
    english(page, live_server)
    journey = new_blank_journey(page)
    drop(page, "delay", 200, 500)
    card(page, "delay").wait_for()
    page.keyboard.press("Delete")
    assert card(page, "delay").count() == 0
    page.keyboard.press("Control+z")
    card(page, "delay").wait_for()
    page.keyboard.press("Control+Shift+z")
    assert card(page, "delay").count() == 0
    page.click("[data-action=undo]")
    card(page, "delay").click()
    page.keyboard.press("Control+c")
    page.keyboard.press("Control+v")
    card(page, "delay_2").wait_for()
    wait_saved(page)
    journey.refresh_from_db()
    assert [n["key"] for n in journey.draft["nodes"]] == ["start", "delay", "delay_2"]
    assert journey.draft["nodes"][2]["config"] == journey.draft["nodes"][1]["config"] == {"days": 1}


def test_a_second_tab_with_a_stale_draft_gets_a_conflict_message_not_an_overwrite(live_login, live_server, editor):
    page = live_login(editor)
    english(page, live_server)
    journey = new_blank_journey(page)
    other = page.context.new_page()
    open_editor(other, live_server, journey)

    drop(page, "wait", 300, 300)
    wait_saved(page)
    drop(other, "exit", 300, 500)
    other.wait_for_function("window.jcCanvas.state() === 'conflict'")
    assert "changed in another tab" in other.locator(".jc-conflict").inner_text()
    journey.refresh_from_db()
    assert [n["key"] for n in journey.draft["nodes"]] == ["start", "wait"]
