from django.core.management.base import BaseCommand

from journeys import clock, health


class Command(BaseCommand):
    help = ("Resume stuck work: advance enrolments overdue by more than STUCK_AFTER_MINUTES in live journeys, "
            "and recover deliveries whose sender lease expired (the same engine and sender code the workers run).")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="list what is stuck and change nothing")

    def handle(self, *args, dry_run=False, **options):
        now = clock.now()
        found = health.report(now)
        self.stdout.write(f"stuck enrolments: {found['enrollment_total']}; expired delivery leases: {found['lease_total']}")
        for row in found["enrollments"]:
            self.stdout.write(f"  journey {row['journey_id']} {row['journey__name']!r} node {row['node_key']}: "
                              f"{row['count']} due since {row['oldest'].isoformat()}")
        if dry_run:
            return
        steps, sent = health.resume(now)
        self.stdout.write(f"resumed: {steps} engine steps" + (f"; sender pass: {sent.sent} sent, {sent.failed} failed" if sent else ""))
