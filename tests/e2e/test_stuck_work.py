"""An operator finds stuck work from the journeys list and reads what is overdue where."""

from datetime import timedelta

from django.utils import timezone

from journeys import engine
from tests.factories import MemberFactory
from tests.journeys.conftest import minimal, onboarding_channels, publish  # noqa: F401  (fixture)

from .canvas_support import english, screenshot


def test_a_viewer_opens_stuck_work_from_the_journeys_list_and_sees_the_overdue_node(live_server, live_login, viewer,
                                                                                    onboarding_channels):
    document = minimal([{"key": "msg", "type": "send", "config": {"channel": "sms", "template": "welcome-coupon"}}],
                       [{"from": "start", "to": "msg"}])
    document["name"] = "Spring recall 🌸"
    journey = publish(document)
    members = MemberFactory.create_batch(3)
    engine.enroll(journey.current_version, {m.pk: timezone.now() - timedelta(hours=2) for m in members})
    page = live_login(viewer)
    english(page, live_server)
    page.click("a[href='/journeys/health/']")
    page.wait_for_url(f"{live_server.url}/journeys/health/")
    row = page.locator(".jc-stuck table").first.locator("tbody tr")
    assert row.count() == 1
    assert row.locator("td").all_inner_texts()[:3] == ["Spring recall 🌸", "start", "3"]
    screenshot(page, "stuck-work.png")
