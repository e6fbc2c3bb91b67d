from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from journeys import retention


class Command(BaseCommand):
    help = ("Delete step-log rows of enrolments closed longer ago than the retention, and finished outbox rows older "
            "than it, in batches; open enrolments, queued/deferred deliveries and journey counters are never touched.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
        parser.add_argument("--steplog-days", type=int, default=settings.RETENTION_STEPLOG_DAYS,
                            help="keep the trace of enrolments closed within this many days (default %(default)s)")
        parser.add_argument("--delivery-days", type=int, default=settings.RETENTION_DELIVERY_DAYS,
                            help="keep deliveries created within this many days (default %(default)s)")
        parser.add_argument("--batch", type=int, default=settings.PRUNE_BATCH_SIZE,
                            help="rows deleted per transaction (default %(default)s)")

    def handle(self, *args, dry_run, steplog_days, delivery_days, batch, **options):
        # The same floors as the settings: a shorter window would lose traces that late conversions read.
        if steplog_days < 90:
            raise CommandError("--steplog-days must be at least 90 (goal windows read a closed enrolment's trace).")
        if delivery_days < 60:
            raise CommandError("--delivery-days must be at least 60 (frequency caps look back at sent messages).")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        result = retention.prune(steplog_days=steplog_days, delivery_days=delivery_days, batch_size=batch, dry_run=dry_run)
        verb = "would delete" if dry_run else "deleted"
        self.stdout.write(f"prune: {verb} {result.steplog} step-log rows (enrolments closed over {steplog_days} days ago) "
                          f"and {result.deliveries} deliveries (finished, over {delivery_days} days old)")
