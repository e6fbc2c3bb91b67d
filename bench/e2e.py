"""End to end through Celery: a real beat and a real worker advancing N due members.

    python -m bench.e2e --members 1000000 [--concurrency 2]

Builds a throw-away database (<DATABASE_URL's name>_bench_e2e, dropped at the end), publishes the
onboarding journey and puts N enrolments at its `nudge1` send node, due now. Then it starts, as
`make run` does, `celery beat` and `celery worker` (prefork, --concurrency processes) against that
database and the configured Redis, and waits until no enrolment is left at `nudge1`: the beat's
`journeys.tick` fans out one `journeys.advance_shard` per shard every TICK_SECONDS, and the
worker steps every member through the send node into the `w1` wait (the sender and the reports
rollup run on the same worker, as they would in production). The figures are the wall time from
starting the beat until every member has left `nudge1`, the member-steps (step-log rows) taken
meanwhile, and the peak resident memory of any one worker process (the main process and its pool
children, sampled every 0.2 s).
"""

import argparse
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.engine import create_world, setup_django
from bench import create_bench_database, drop_bench_database
from bench.ingest import database_url

ROOT = Path(__file__).resolve().parent.parent


def group_rss_mb(pgid):
    """Resident memory (MB) of each live process in the process group `pgid`, read from /proc."""
    sizes = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getpgid(int(entry)) != pgid:
                continue
            with open(f"/proc/{entry}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        sizes.append(int(line.split()[1]) / 1024)
        except (OSError, ProcessLookupError):
            continue  # the process ended between listing and reading
    return sizes


def celery(args, env, log):
    return subprocess.Popen([sys.executable, "-m", "celery", "-A", "config", *args], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def run(journey, env, concurrency, log_path):
    """Start beat and worker, wait until nobody is left at nudge1; returns (seconds, peak worker RSS MB)."""
    from journeys.models import Enrollment

    schedule = ROOT / "var" / "bench" / f"celerybeat-{env['BENCH_DATABASE']}"
    with open(log_path, "wb") as log:
        # Tasks left in this Redis database by an earlier, interrupted run would step someone else's world.
        subprocess.run([sys.executable, "-m", "celery", "-A", "config", "purge", "-f"], cwd=ROOT, env=env,
                       stdout=log, stderr=subprocess.STDOUT, check=True)
        worker = celery(["worker", "--pool=prefork", f"--concurrency={concurrency}", "--without-gossip", "--without-mingle",
                         "--loglevel=warning"], env, log)
        beat = None
        try:
            time.sleep(5)  # a worker that is already up, as in production, before the clock starts
            started = time.perf_counter()
            beat = celery(["beat", "-s", str(schedule), "--loglevel=warning"], env, log)
            peak = 0.0
            while Enrollment.objects.filter(journey=journey, node_key="nudge1").exists():
                for process in (worker, beat):
                    if process.poll() is not None:
                        raise SystemExit(f"a Celery process died; see {log_path}")
                peak = max([peak, *group_rss_mb(worker.pid)])
                time.sleep(0.2)
            return time.perf_counter() - started, peak
        finally:
            for process in (beat, worker):
                if process is not None:
                    os.killpg(process.pid, 15)
                    process.wait(timeout=60)
            schedule.unlink(missing_ok=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes (the machine has 2 cores)")
    args = parser.parse_args(argv)

    setup_django()
    from django.db import connection

    from journeys.models import Enrollment, StepLog

    database = create_bench_database("e2e")
    try:
        print(f"database {database}: {args.members:,} members due at the onboarding journey's send node …", flush=True)
        # Due at the real present, since beat ticks on the real clock: members stop at the w1 wait.
        (journey,) = create_world(args.members, names=("End to end",), now=datetime.now(UTC))
        env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "DJANGO_SETTINGS_MODULE": "config.settings",
               "BENCH_DATABASE": database}
        (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
        log_path = ROOT / "var" / "bench" / "e2e-celery.log"
        seconds, peak = run(journey, env, args.concurrency, log_path)
        stepped = StepLog.objects.filter(journey=journey, node_key="nudge1").count()
        steps = StepLog.objects.filter(journey=journey).count()
        assert stepped == args.members and not Enrollment.objects.filter(journey=journey, node_key="nudge1").exists(), stepped
        print(f"  beat + worker ({args.concurrency} processes): {stepped:,} members stepped past nudge1 in {seconds:.1f} s "
              f"({steps:,} member-steps = {steps / seconds:,.0f} /s); peak worker process RSS {peak:.0f} MB (target < 300 MB)")
        print("RESULT " + json.dumps({"bench": "e2e", "members": args.members, "seconds": round(seconds, 1),
                                      "member_steps": steps, "per_s": round(steps / seconds), "worker_rss_mb": round(peak),
                                      "load": round(os.getloadavg()[0], 1)}))
    finally:
        drop_bench_database(database)


if __name__ == "__main__":
    main()
