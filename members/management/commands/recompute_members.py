from django.core.management.base import BaseCommand, CommandError

from journeys import clock
from members.rfm import recompute
from members.services import parse_moment


class Command(BaseCommand):
    help = "Recompute every member's RFM group and lifecycle stage as of now, or as of --at (ISO 8601)."

    def add_arguments(self, parser):
        parser.add_argument("--at", help="compute as of this moment, e.g. 2026-03-02T03:00:00+08:00")

    def handle(self, *args, at=None, **options):
        now = clock.now()
        if at:
            now = parse_moment(at)
            if now is None:
                raise CommandError(f"--at {at!r} is not an ISO 8601 date-time.")
        result = recompute(now=now)
        stages = ", ".join(f"{stage or '-'}: {n}" for stage, n in sorted(result["stages"].items()))
        self.stdout.write(f"RFM groups for {result['rfm_members']} members who ordered; stages {stages}")
