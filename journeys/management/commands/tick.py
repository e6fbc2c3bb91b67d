from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from journeys import clock
from journeys.tasks import run_tick


class Command(BaseCommand):
    help = "Advance every live journey as of now, or as of --at (ISO 8601), through the Celery tick's code path."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="the engine's clock for this tick, e.g. 2026-03-02T10:00:00+08:00")

    def handle(self, *args, at=None, **options):
        now = clock.now()
        if at:
            try:
                now = parse_datetime(at)
            except ValueError:
                now = None
            if now is None:
                raise CommandError(f"--at {at!r} is not an ISO 8601 date-time.")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        enrolled, steps = run_tick(now)
        self.stdout.write(f"tick at {now.isoformat()}: {enrolled} enrolled, {steps} member-steps")
