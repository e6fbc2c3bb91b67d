"""Funnel snapshots: stale-while-revalidate for the one report that scans every enrolment.

A reader gets the stored funnel at once; when it is older than REPORTS_FUNNEL_MAX_AGE seconds
(default 300) a Celery task recomputes it after the reader's transaction commits. Only a journey
never computed for that unit and time zone is computed in the request.
"""

import logging
import time
from dataclasses import asdict
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from kombu.exceptions import OperationalError

from journeys import clock

from . import funnel
from .models import FunnelSnapshot

_LOCK_CLASS = 7008
log = logging.getLogger(__name__)


def _encode(result, activity):
    data = asdict(result)
    for row in [data["overall"], *data["cohorts"], *(r for rows in data["variants"].values() for r in rows.values())]:
        row["cohort"] = row["cohort"].isoformat() if row["cohort"] else None
        row["last_enrolled_at"] = row["last_enrolled_at"].isoformat() if row["last_enrolled_at"] else None
        row["by_day"] = {str(k): v for k, v in row["by_day"].items()}
    return {"funnel": data, "activity": {"days": [d.isoformat() for d in activity["days"]], "series": activity["series"]}}


def _row(data):
    return funnel.FunnelRow(
        entered=data["entered"], steps=[funnel.FunnelStep(**s) for s in data["steps"]], label=data["label"],
        cohort=date.fromisoformat(data["cohort"]) if data["cohort"] else None,
        by_day={int(k): v for k, v in data["by_day"].items()},
        last_enrolled_at=datetime.fromisoformat(data["last_enrolled_at"]) if data["last_enrolled_at"] else None,
    )


def _decode(data):
    f = data["funnel"]
    result = funnel.Funnel(
        goals=f["goals"], unit=f["unit"], timezone=f["timezone"], overall=_row(f["overall"]),
        variants={s: {k: _row(r) for k, r in rows.items()} for s, rows in f["variants"].items()},
        cohorts=[_row(r) for r in f["cohorts"]],
    )
    activity = {"days": [date.fromisoformat(d) for d in data["activity"]["days"]], "series": data["activity"]["series"]}
    return result, activity


def compute(journey, unit, tz_name, max_age=None):
    """Recompute and store one snapshot; with `max_age`, keep one another worker just stored."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_CLASS, journey.pk])
        existing = FunnelSnapshot.objects.filter(journey=journey, unit=unit, timezone=tz_name).first()
        if max_age is not None and existing and (clock.now() - existing.computed_at).total_seconds() <= max_age:
            return existing
        started = time.perf_counter()
        result = funnel.journey_funnel(journey, unit=unit, tz=tz_name)
        activity = funnel.daily_activity(journey, tz=tz_name)
        snapshot, _ = FunnelSnapshot.objects.update_or_create(
            journey=journey, unit=unit, timezone=tz_name,
            defaults={"data": _encode(result, activity), "computed_at": clock.now(),
                      "duration_ms": int((time.perf_counter() - started) * 1000)},
        )
    return snapshot


def funnel_report(journey, unit, tz, max_age=None):
    """(Funnel, daily activity, computed_at) for the journey, from its snapshot."""
    from .tasks import refresh_funnel

    if unit not in funnel.COHORT_UNITS:
        raise ValueError(f"cohort must be one of {', '.join(funnel.COHORT_UNITS)}")
    tz_name = str(tz)
    max_age = getattr(settings, "REPORTS_FUNNEL_MAX_AGE", 300) if max_age is None else max_age
    snapshot = FunnelSnapshot.objects.filter(journey=journey, unit=unit, timezone=tz_name).first()
    if snapshot is None:
        snapshot = compute(journey, unit, tz_name)
    elif (clock.now() - snapshot.computed_at).total_seconds() > max_age:
        def enqueue():
            # Without a broker the reader still gets the stored funnel; the next read tries again.
            try:
                refresh_funnel.delay(journey.pk, unit, tz_name, max_age)
            except OperationalError:
                log.warning("could not queue a funnel refresh for journey %s", journey.pk, exc_info=True)

        transaction.on_commit(enqueue)
    result, activity = _decode(snapshot.data)
    return result, activity, snapshot.computed_at
