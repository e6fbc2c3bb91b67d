import pytest
from datetime import UTC, datetime

from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_dates_are_shown_in_the_operators_chosen_time_zone(client, viewer):
    registered = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)
    MemberFactory(external_id="tz-1", registered_at=registered)
    client.force_login(viewer)
    assert "2026-03-01 10:30" in client.get("/members/").content.decode()  # Asia/Shanghai by default
    client.post("/preferences/", {"timezone": "Europe/London"})
    assert "2026-03-01 02:30" in client.get("/members/").content.decode()


def test_switching_the_language_shows_the_interface_in_english_or_chinese(client, viewer):
    client.force_login(viewer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert "Members in journeys" in client.get("/").content.decode()
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert "会员" in client.get("/").content.decode()
