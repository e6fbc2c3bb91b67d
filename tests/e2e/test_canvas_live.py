"""Live mode: per-node counters on the cards follow the engine without reloading the canvas."""

from datetime import timedelta

from django.core.management import call_command

from journeys import clock, services
from members.services import ingest_events
from tests.factories import MemberFactory

from .canvas_support import card, english, onboarding_channels, onboarding_document, open_editor, screenshot


def test_live_counters_change_on_the_cards_after_tick_advances_members(live_login, live_server, editor):
    onboarding_channels()
    journey = services.journey_create(document=onboarding_document())
    services.journey_publish(journey)
    now = clock.now()
    members = MemberFactory.create_batch(60)
    services.enroll_members(journey, [m.external_id for m in members], at=now)
    page = live_login(editor)
    english(page, live_server)
    open_editor(page, live_server, journey)
    stats = card(page, "ab").locator(".jc-card-stats")
    stats.wait_for()
    assert stats.inner_text().startswith("0 entered")
    url = page.url

    call_command("tick", at=(now + timedelta(minutes=1)).isoformat())

    page.wait_for_function(
        """() => document.querySelector('.drawflow-node:has(.jc-card[data-key="ab"]) .jc-card-stats').textContent.startsWith('60 entered')""",
        timeout=20000)
    here = [int(card(page, key).locator(".jc-card-stats .here b").inner_text()) for key in ("d2", "d3", "hold")]
    assert sum(here) == 60 and all(n > 0 for n in here)
    assert card(page, "ab").locator('.output[title="day2"]').get_attribute("data-branch") == f"day2 · {here[0]}"
    assert page.url == url  # polled, not reloaded

    # A quarter of them order: the goal conversion appears on every card they passed.
    ingest_events([{"member": m.external_id, "name": "order_paid", "value": 199,
                    "occurred_at": (now + timedelta(hours=2)).isoformat()} for m in members[:15]])
    call_command("tick", at=(now + timedelta(hours=3)).isoformat())
    page.wait_for_function(
        """() => document.querySelector('.drawflow-node:has(.jc-card[data-key="start"]) .jc-card-stats').textContent.includes('first_order 25%')""",
        timeout=20000)

    card(page, "d2").click()
    members_here = page.locator('[data-panel] [data-node-members="d2"]')
    members_here.wait_for()
    assert f"({here[0]})" in members_here.inner_text()
    screenshot(page, "canvas-live.png")

    page.goto(f"{live_server.url}/journeys/")
    row = page.locator(f'tr[data-journey="{journey.pk}"]')
    assert row.locator(".pill-live").is_visible() and "60" in row.inner_text()
    screenshot(page, "journeys-list.png")
