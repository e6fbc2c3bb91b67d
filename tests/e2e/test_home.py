from pathlib import Path

from tests.factories import JourneyFactory, MemberFactory

SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def test_an_operator_signs_in_and_sees_the_overview_in_chinese_with_navigation(live_login, live_server, admin_user):
    MemberFactory.create_batch(3)
    JourneyFactory(name="新会员：首单与复购", status="live")
    page = live_login(admin_user)
    assert page.url == f"{live_server.url}/"
    nav = page.locator("aside.sidebar nav")
    for label in ["旅程", "会员", "触达", "报表"]:
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    assert page.locator(".kpi").first.inner_text().startswith("会员")
    assert page.get_by_text("新会员：首单与复购").is_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "home.png"), full_page=True)


def test_the_language_switch_turns_the_interface_to_english(live_login, admin_user):
    page = live_login(admin_user)
    page.click(".topbar button[value=en]")
    page.wait_for_load_state()
    assert page.locator("aside.sidebar nav").get_by_role("link", name="Journeys", exact=True).is_visible()
