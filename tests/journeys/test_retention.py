"""Retention: `manage.py prune` deletes old traces and finished outbox rows, never open work or counters."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command

from config.celery import collect_beat_entries
from journeys import clock, retention
from journeys.models import Enrollment, GoalConversion, StepLog
from journeys.stats import journey_stats
from members.services import ingest_events
from tests.journeys.conftest import T0, tick
from touchpoints import sender
from touchpoints.models import Delivery

LATER = T0 + timedelta(days=240)  # day 30 closes the first cohort; 240 days on, it is past the 180-day retention


@pytest.fixture
def aged(onboarding, members):
    """A first cohort run through the onboarding journey for 31 days (sent, closed), a second one still open."""
    first, second = members(16), members(5)
    ingest_events([{"member": m.external_id, "name": "registered", "occurred_at": T0.isoformat()} for m in first])
    ingest_events([{"member": m.external_id, "name": "order_paid", "occurred_at": (T0 + timedelta(days=1)).isoformat()}
                   for m in first[:10]])  # buyers finish early (a second-order message, then done)
    for day in range(32):
        moment = T0 + timedelta(days=day, hours=2)
        tick(moment)
        with clock.frozen(moment):
            sender.run()
    # The second cohort registers on day 31 and stays in the journey: their rows are as old, but open.
    ingest_events([{"member": m.external_id, "name": "registered", "occurred_at": (T0 + timedelta(days=31)).isoformat()}
                   for m in second])
    tick(T0 + timedelta(days=31, hours=3))
    return onboarding, first, second


def closed_and_open(journey):
    closed = Enrollment.objects.filter(journey=journey).exclude(status__in=Enrollment.OPEN)
    return set(closed.values_list("pk", flat=True)), set(Enrollment.objects.filter(journey=journey, status__in=Enrollment.OPEN)
                                                         .values_list("pk", flat=True))


def test_prune_deletes_the_trace_of_enrolments_closed_before_the_retention_and_keeps_open_ones(aged):
    journey, first, second = aged
    closed, still_open = closed_and_open(journey)
    assert closed and still_open >= set(Enrollment.objects.filter(member__in=second).values_list("pk", flat=True))
    open_trace = set(StepLog.objects.filter(enrollment__in=still_open).values_list("pk", flat=True))
    assert open_trace and StepLog.objects.filter(enrollment__in=closed).exists()

    result = retention.prune(now=LATER, steplog_days=180, delivery_days=180)

    assert result.steplog > 0
    assert not StepLog.objects.filter(enrollment__in=closed).exists()
    assert set(StepLog.objects.filter(enrollment__in=still_open).values_list("pk", flat=True)) == open_trace
    assert Enrollment.objects.filter(journey=journey).count() == len(first) + len(second)


def test_prune_keeps_the_trace_of_enrolments_closed_within_the_retention(aged):
    journey, *_ = aged
    closed, _ = closed_and_open(journey)
    before = StepLog.objects.filter(enrollment__in=closed).count()

    result = retention.prune(now=T0 + timedelta(days=100), steplog_days=180, delivery_days=180)

    assert result.steplog == 0
    assert StepLog.objects.filter(enrollment__in=closed).count() == before


def test_prune_deletes_finished_old_deliveries_of_closed_enrolments_and_keeps_queued_deferred_leased_and_open_ones(aged):
    journey, *_ = aged
    closed, still_open = closed_and_open(journey)
    finished = Delivery.objects.filter(enrollment__in=closed, status__in=retention.FINISHED_DELIVERY)
    assert finished.count() > 3
    queued, deferred, leased = finished.order_by("pk")[:3]
    Delivery.objects.filter(pk=queued.pk).update(status=Delivery.Status.QUEUED)
    Delivery.objects.filter(pk=deferred.pk).update(status=Delivery.Status.DEFERRED)
    Delivery.objects.filter(pk=leased.pk).update(claimed_at=T0 + timedelta(days=200))
    doomed = set(finished.values_list("pk", flat=True)) - {leased.pk}
    open_outbox = set(Delivery.objects.filter(enrollment__in=still_open).values_list("pk", flat=True))
    assert Delivery.objects.filter(pk__in=open_outbox, status__in=retention.FINISHED_DELIVERY).exists()

    result = retention.prune(now=LATER, steplog_days=180, delivery_days=180)

    assert result.deliveries == len(doomed)
    assert not Delivery.objects.filter(pk__in=doomed).exists()
    kept = {queued.pk, deferred.pk, leased.pk}
    assert set(Delivery.objects.filter(pk__in=kept).values_list("pk", flat=True)) == kept
    assert set(Delivery.objects.filter(enrollment__in=still_open).values_list("pk", flat=True)) == open_outbox


def test_prune_leaves_journey_stats_and_goal_conversions_unchanged(aged):
    journey, *_ = aged
    stats, conversions = journey_stats(journey), GoalConversion.objects.filter(journey=journey).count()
    assert conversions > 0

    retention.prune(now=LATER, steplog_days=180, delivery_days=180)

    assert journey_stats(journey) == stats
    assert GoalConversion.objects.filter(journey=journey).count() == conversions


def test_prune_in_small_batches_deletes_the_same_rows(aged):
    everything = retention.prune(now=LATER, steplog_days=180, delivery_days=180, dry_run=True)

    result = retention.prune(now=LATER, steplog_days=180, delivery_days=180, batch_size=3)

    assert (result.steplog, result.deliveries) == (everything.steplog, everything.deliveries)
    assert retention.prune(now=LATER, steplog_days=180, delivery_days=180, dry_run=True).steplog == 0


def test_dry_run_command_counts_and_deletes_nothing(aged, capsys):
    steplogs, deliveries = StepLog.objects.count(), Delivery.objects.count()
    with clock.frozen(LATER):
        call_command("prune", "--dry-run")
    out = capsys.readouterr().out
    assert out.startswith("prune: would delete ")
    assert (StepLog.objects.count(), Delivery.objects.count()) == (steplogs, deliveries)


def test_prune_command_deletes_with_the_configured_retention(aged, capsys):
    journey, *_ = aged
    closed, _ = closed_and_open(journey)
    with clock.frozen(LATER):
        call_command("prune")
    assert capsys.readouterr().out.startswith("prune: deleted ")
    assert not StepLog.objects.filter(enrollment__in=closed).exists()


@pytest.mark.parametrize("option", [["--steplog-days", "30"], ["--delivery-days", "7"], ["--batch", "0"]])
def test_prune_command_refuses_a_retention_below_its_floor(db, option):
    with pytest.raises(CommandError):
        call_command("prune", *option)


def test_pruning_runs_nightly_from_the_beat_schedule():
    entry = collect_beat_entries(5)["journeys-prune"]
    assert entry["task"] == "journeys.prune"
    assert entry["schedule"].hour == {4} and entry["schedule"].minute == {0}
