"""Member-respect policies as pure functions over plain values (the sender feeds them in bulk).

- quiet hours: a journey setting {"start": "22:00", "end": "08:00"} in the member's time zone
  (else the journey's); a send inside the window waits until its end;
- holiday / do-not-disturb calendar (QuietPeriod rows): a send on such a day waits until the day
  after the period at its `resume_at` time;
- frequency cap: {"max": N, "per_hours": H} of the sending journey, counted over the member's
  messages from all journeys; higher journey priority is served first;
- opt-out: Member.opted_out lists channel keys or kinds;
- per-channel rate: Channel.rate_per_minute.
"""

import datetime
import re
import zoneinfo
from dataclasses import dataclass

from django.conf import settings

HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def zone(name):
    try:
        return zoneinfo.ZoneInfo(name) if name else None
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def member_zone(member_tz, journey_settings):
    """The member's own zone, else the journey's `timezone`, else the site's TIME_ZONE."""
    return zone(member_tz) or zone((journey_settings or {}).get("timezone")) or zoneinfo.ZoneInfo(settings.TIME_ZONE)


def parse_hhmm(value):
    match = HHMM.match(str(value or ""))
    if not match:
        return None
    return datetime.time(int(match.group(1)), int(match.group(2)))


def _local(day, at, tz):
    """An aware datetime for a local wall-clock time (fold=0: the first of an ambiguous pair)."""
    return datetime.datetime.combine(day, at, tzinfo=tz)


def quiet_hours_end(now, tz, quiet_hours):
    """The moment the quiet window containing `now` ends, or None when `now` is not in one."""
    if not isinstance(quiet_hours, dict):
        return None
    start, end = parse_hhmm(quiet_hours.get("start")), parse_hhmm(quiet_hours.get("end"))
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start < end:
        inside = start <= t < end
        end_day = local.date()
    else:  # the window crosses midnight, e.g. 22:00 → 08:00
        inside = t >= start or t < end
        end_day = local.date() + datetime.timedelta(days=1) if t >= start else local.date()
    if not inside:
        return None
    return _local(end_day, end, tz).astimezone(datetime.UTC)


@dataclass(frozen=True)
class Period:
    name: str
    start_date: datetime.date
    end_date: datetime.date
    resume_at: datetime.time


def holiday_end(now, tz, periods):
    """(resume moment, period name) when the member's local date is in a period, else None.

    Periods that touch each other are followed through, so a weekend next to a holiday week
    resumes after both.
    """
    day = now.astimezone(tz).date()
    hit = None
    for period in sorted(periods, key=lambda p: p.start_date):
        if period.start_date <= day <= period.end_date:
            hit = period
            day = period.end_date + datetime.timedelta(days=1)
    if hit is None:
        return None
    return _local(day, hit.resume_at, tz).astimezone(datetime.UTC), hit.name


def parse_cap(frequency_cap):
    """(max, per_hours) from a journey's setting, or None when there is no usable cap."""
    if not isinstance(frequency_cap, dict):
        return None
    limit, hours = frequency_cap.get("max"), frequency_cap.get("per_hours")
    if isinstance(limit, bool) or isinstance(hours, bool):
        return None
    if not isinstance(limit, int) or not isinstance(hours, (int, float)) or limit < 0 or hours <= 0:
        return None
    return limit, hours


def opted_out(member_opted_out, channel):
    values = member_opted_out if isinstance(member_opted_out, list) else []
    return channel.key in values or channel.kind in values


def backoff(attempts):
    """Pause before retry number `attempts` (1-based): 30 s, 1 min, 2 min … at most 1 h."""
    return datetime.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 3600))
