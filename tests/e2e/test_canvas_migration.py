"""Republishing a live journey: the migration preview counts members per step and maps removed steps."""

from datetime import timedelta

from django.core.management import call_command

from journeys import clock, services
from journeys.models import Enrollment
from tests.factories import MemberFactory

from .canvas_support import card, english, onboarding_channels, onboarding_document, open_editor, screenshot, wait_saved


def test_removing_a_step_with_members_previews_the_move_and_migrates_them_where_the_operator_maps(
        live_login, live_server, editor):
    onboarding_channels()
    journey = services.journey_create(document=onboarding_document())
    services.journey_publish(journey)
    now = clock.now()
    services.enroll_members(journey, [m.external_id for m in MemberFactory.create_batch(20)], at=now)
    call_command("tick", at=(now + timedelta(minutes=1)).isoformat())
    waiting = {key: Enrollment.objects.filter(journey=journey, node_key=key, status__in=Enrollment.OPEN).count()
               for key in ("d2", "d3", "hold")}
    assert waiting["d3"] > 0

    page = live_login(editor)
    english(page, live_server)
    open_editor(page, live_server, journey)
    card(page, "d3").click()
    page.locator('[data-panel] [data-node-panel="d3"]').wait_for()
    page.locator("#drawflow").focus()
    page.keyboard.press("Delete")
    assert card(page, "d3").count() == 0
    wait_saved(page)

    page.click("[data-action=publish]")
    modal = page.locator("[data-modal] [data-migration]")
    modal.wait_for()
    assert f"{waiting['d3']}" in modal.locator("tr:has(span.mono:text-is('d3'))").inner_text()
    modal.locator("input[name=migrate][value='1']").check()
    page.locator("[data-modal] select[name=map_d3]").select_option("d2")
    page.locator("[data-modal] select[name=map_d3] option[value=d2][selected]").wait_for(state="attached")
    screenshot(page, "canvas-migration.png")
    page.click("[data-modal] [data-action=confirm-publish]")
    page.locator(".jc-version:text-is('v2')").wait_for()

    open_at = dict(Enrollment.objects.filter(journey=journey, status__in=Enrollment.OPEN)
                   .values_list("node_key", "version__number").distinct())
    assert "d3" not in open_at and set(open_at.values()) == {2}
    assert Enrollment.objects.filter(journey=journey, node_key="d2", status__in=Enrollment.OPEN).count() == \
        waiting["d2"] + waiting["d3"]
