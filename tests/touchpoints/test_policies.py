import datetime
from datetime import UTC
from zoneinfo import ZoneInfo

from touchpoints import policies

NY = ZoneInfo("America/New_York")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(y, mo, d, h, mi=0, tz=UTC):
    return datetime.datetime(y, mo, d, h, mi, tzinfo=tz)


def test_a_window_across_midnight_ends_the_next_morning_when_entered_in_the_evening():
    assert policies.quiet_hours_end(at(2026, 3, 10, 23, 30, SHANGHAI), SHANGHAI, {"start": "22:00", "end": "08:00"}) \
        == at(2026, 3, 11, 8, 0, SHANGHAI)


def test_a_window_across_midnight_ends_the_same_morning_when_entered_after_midnight():
    assert policies.quiet_hours_end(at(2026, 3, 11, 2, 0, SHANGHAI), SHANGHAI, {"start": "22:00", "end": "08:00"}) \
        == at(2026, 3, 11, 8, 0, SHANGHAI)


def test_a_daytime_window_only_holds_sends_inside_it():
    lunch = {"start": "12:00", "end": "13:30"}
    assert policies.quiet_hours_end(at(2026, 3, 11, 12, 15, SHANGHAI), SHANGHAI, lunch) == at(2026, 3, 11, 13, 30, SHANGHAI)
    assert policies.quiet_hours_end(at(2026, 3, 11, 13, 30, SHANGHAI), SHANGHAI, lunch) is None


def test_the_window_end_keeps_local_wall_time_across_a_daylight_saving_change():
    # New York springs forward on 2026-03-08: 08:00 local that morning is 12:00 UTC, not 13:00.
    end = policies.quiet_hours_end(at(2026, 3, 8, 4, 0), NY, {"start": "22:00", "end": "08:00"})
    assert end == at(2026, 3, 8, 12, 0)


def test_malformed_quiet_hours_hold_nothing():
    for setting in ({"start": "25:00", "end": "08:00"}, {"start": "22:00"}, "22-08", {"start": "08:00", "end": "08:00"}):
        assert policies.quiet_hours_end(at(2026, 3, 11, 23, 0, SHANGHAI), SHANGHAI, setting) is None


def test_touching_holiday_periods_resume_after_the_last_one():
    periods = [policies.Period("Festival", datetime.date(2026, 2, 16), datetime.date(2026, 2, 20), datetime.time(9)),
               policies.Period("Weekend", datetime.date(2026, 2, 21), datetime.date(2026, 2, 22), datetime.time(10))]
    assert policies.holiday_end(at(2026, 2, 17, 12, 0, SHANGHAI), SHANGHAI, periods) == (at(2026, 2, 23, 10, 0, SHANGHAI), "Weekend")
    assert policies.holiday_end(at(2026, 2, 23, 12, 0, SHANGHAI), SHANGHAI, periods) is None


def test_the_holiday_date_is_the_members_local_date():
    period = [policies.Period("Day", datetime.date(2026, 5, 1), datetime.date(2026, 5, 1), datetime.time(9))]
    # 2026-04-30 20:00 UTC is already 1 May in Shanghai but still 30 April in New York.
    assert policies.holiday_end(at(2026, 4, 30, 20, 0), SHANGHAI, period) is not None
    assert policies.holiday_end(at(2026, 4, 30, 20, 0), NY, period) is None


def test_frequency_caps_need_a_whole_max_and_a_positive_window():
    assert policies.parse_cap({"max": 2, "per_hours": 24}) == (2, 24)
    for bad in ({"max": "2", "per_hours": 24}, {"max": 2, "per_hours": 0}, {"max": True, "per_hours": 24}, [], None):
        assert policies.parse_cap(bad) is None


def test_retry_pauses_double_up_to_an_hour():
    assert [policies.backoff(n).total_seconds() for n in (1, 2, 3, 8, 20)] == [30, 60, 120, 3600, 3600]
