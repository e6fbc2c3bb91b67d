import time

from django.core.management.base import BaseCommand, CommandError

from demo import world


class Command(BaseCommand):
    help = (
        "Load the demo store: members registered over the past weeks, live journeys and their history, "
        "produced by running the real engine under a simulated clock. Idempotent; --reset rebuilds it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the demo world first and rebuild it.")
        parser.add_argument("--members", type=int, default=10000, help="How many members (default 10,000).")
        parser.add_argument("--days", type=int, default=60, help="How many days of history (default 60).")
        parser.add_argument("--seed", type=int, default=7, help="Random seed; the same seed gives the same world.")
        parser.add_argument("--step-hours", type=int, default=8,
                            help="Simulated clock step (default 8 hours; every effect still happens at its own moment).")

    def handle(self, *args, reset, members, days, seed, step_hours, **options):
        if members < 1 or days < 1 or step_hours < 1:
            raise CommandError("--members, --days and --step-hours must be positive.")
        if reset:
            world.reset()
            self.stdout.write("Demo world deleted.")
        elif world.exists():
            self.stdout.write("Demo world already loaded (use --reset to rebuild it).")
            return
        started = time.monotonic()

        def progress(step, total):
            self.stdout.write(f"  simulated {step}/{total} steps ({time.monotonic() - started:.0f}s)")

        summary = world.build(members=members, days=days, seed=seed, step_hours=step_hours, progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"Demo world loaded in {time.monotonic() - started:.0f}s: {summary['members']} members, "
            f"{summary['buyers']} buyers, {summary['orders']} orders, {summary['deliveries']} messages."
        ))
