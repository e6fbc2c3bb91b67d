"""Event ingestion through the real HTTP endpoint, engine hand-off included.

    python -m bench.ingest --events 200000 [--batch 1000] [--clients 4] [--web-workers 3]

Builds a throw-away database (<DATABASE_URL's name>_bench_ingest, dropped at the end), publishes
the onboarding journey (entry: `registered`; goals on `order_paid`) and puts `--waiting`
members at its `w1` wait node, waiting for `order_paid`. Then it starts gunicorn on 127.0.0.1
(a free port) against that database and POSTs the events to /api/v1/events in batches of
`--batch` with an API token, from `--clients` concurrent connections. Each batch mixes

- `registered` events of new members   → members created, enrolled in the journey,
- `order_paid` events of waiting members → enrolments woken, `first_order` goals recorded,
- `visit` events of existing members     → stored only,

each with an idempotency `id`. Request bodies are serialised before the clock starts; the
figure is events accepted per second of wall time, engine hand-off included. Afterwards it
checks what the engine did (enrolments, wake-ups, goals).
"""

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from bench import create_bench_database, drop_bench_database

ROOT = Path(__file__).resolve().parent.parent
ONBOARDING = ROOT / "journeys" / "gallery" / "onboarding.journey.json"
NOW = datetime(2026, 3, 4, 2, 0, tzinfo=UTC)
MIX = {"registered": 0.3, "order_paid": 0.4, "visit": 0.3}


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url(settings_dict):
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{settings_dict['NAME']}"


def create_world(waiting, existing):
    """The onboarding journey, `waiting` members at its w1 wait and `existing` other members; returns (journey, token)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from rest_framework.authtoken.models import Token

    from journeys import services
    from touchpoints.models import Channel, Template

    sms = Channel.objects.create(key="sms", name="SMS", kind="sms")
    wechat = Channel.objects.create(key="wechat", name="WeChat", kind="wechat_template")
    for slug, channel in (("welcome-coupon", sms), ("last-chance", sms), ("coupon-expiring", wechat),
                          ("second-order-coupon", wechat)):
        Template.objects.create(slug=slug, channel=channel, body="Hi {{ member.name }}")
    journey = services.journey_create(document={**json.loads(ONBOARDING.read_text()), "name": "Bench: ingestion"})
    services.journey_publish(journey)
    journey.refresh_from_db()
    user = get_user_model().objects.create_user("bench-ingest", password="bench-ingest-password")
    user.groups.add(Group.objects.get_or_create(name="editor")[0])
    token = Token.objects.create(user=user)
    with connection.cursor() as cursor:
        cursor.execute("""INSERT INTO members_member (external_id, name, phone, email, wechat_openid, miniprogram_openid,
                              attributes, timezone, points, opted_out, rfm_group, rfm_scores, lifecycle_stage, registered_at,
                              created_at, updated_at)
                          SELECT CASE WHEN i <= %s THEN 'waiting-' || i ELSE 'known-' || (i - %s) END,
                                 '', '', '', '', '', '{"city": "Beijing"}', '', 0, '[]', '', '', '', %s, %s, %s
                          FROM generate_series(1, %s) AS i""",
                       [waiting, waiting, NOW - timedelta(days=3), NOW, NOW, waiting + existing])
        cursor.execute("""INSERT INTO journeys_enrollment (journey_id, version_id, member_id, status, node_key, visit, due_at,
                              waiting_for, shard, assignments, enrolled_at, node_entered_at, exit_reason)
                          SELECT %s, %s, id, 'waiting', 'w1', 5, %s, 'order_paid', id %% 4, '{"ab": "day2"}', %s, %s, ''
                          FROM members_member WHERE external_id LIKE 'waiting-%%'""",
                       [journey.pk, journey.current_version_id, NOW + timedelta(days=2), NOW - timedelta(days=3),
                        NOW - timedelta(hours=1)])
        cursor.execute("ANALYZE")
    return journey, token.key


def make_batches(total, batch, waiting, existing, mix=MIX):
    """Pre-serialised request bodies; each waiting member orders at most once (so each wakes once)."""
    counts = {name: int(total * mix.get(name, 0)) for name in MIX}
    counts["order_paid"] = min(counts["order_paid"], waiting)
    counts["visit"] = total - counts["registered"] - counts["order_paid"]
    events = []
    for i in range(counts["registered"]):
        events.append({"id": f"reg-{i}", "member": f"new-{i}", "name": "registered", "occurred_at": _at(i),
                       "properties": {"channel": "store-qr", "store": f"S{i % 40:03d}"}})
    for i in range(counts["order_paid"]):
        events.append({"id": f"ord-{i}", "member": f"waiting-{i + 1}", "name": "order_paid", "occurred_at": _at(i),
                       "value": 59 + i % 200, "properties": {"brand": ("Shiseido", "Lancome", "Aptamil")[i % 3], "sku": f"SKU{i % 500}"}})
    for i in range(counts["visit"]):
        events.append({"id": f"vis-{i}", "member": f"known-{i % existing + 1}", "name": "visit", "occurred_at": _at(i),
                       "properties": {"page": "home"}})
    # Interleave the kinds so every batch carries all three, as real traffic does.
    random.Random(4).shuffle(events)
    return [json.dumps(events[i:i + batch]).encode() for i in range(0, len(events), batch)], counts


def _at(i):
    return (NOW + timedelta(seconds=i % 3600)).isoformat()


def start_server(port, web_workers, env):
    args = [sys.executable, "-m", "gunicorn", "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(web_workers),
            "--log-level", "warning", "--timeout", "120"]
    return subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)


def wait_for_server(port):
    import requests

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code < 500:
                return
        except requests.RequestException:
            time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz within 120 s")


def post_all(url, token, bodies, clients):
    import requests

    headers = {"Authorization": f"Token {token}", "Content-Type": "application/json"}
    sessions = [requests.Session() for _ in range(clients)]

    def post(indexed):
        index, body = indexed
        response = sessions[index % clients].post(url, data=body, headers=headers, timeout=120)
        if response.status_code != 202:
            raise RuntimeError(f"batch {index}: HTTP {response.status_code} {response.text[:300]}")
        return response.json()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        answers = list(pool.map(post, enumerate(bodies)))
    return answers, time.perf_counter() - started


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=4, help="concurrent HTTP connections")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn worker processes")
    parser.add_argument("--waiting", type=int, default=100_000, help="members waiting for order_paid at w1")
    parser.add_argument("--existing", type=int, default=100_000, help="other known members (their visits)")
    parser.add_argument("--only-visits", action="store_true",
                        help="post only `visit` events, which no journey reacts to: the ingestion path without engine work")
    parser.add_argument("--keep", action="store_true", help="keep the bench database afterwards")
    args = parser.parse_args(argv)

    setup_django()
    from django.db import connection

    database = create_bench_database("ingest")
    server = None
    try:
        from journeys.models import Enrollment, GoalConversion
        from members.models import Event, Member

        print(f"database {database}: onboarding journey, {args.waiting:,} members waiting for order_paid, "
              f"{args.existing:,} other members …")
        journey, token = create_world(args.waiting, args.existing)
        mix = {"visit": 1.0} if args.only_visits else MIX
        bodies, counts = make_batches(args.events, args.batch, args.waiting, args.existing, mix)
        port = free_port()
        # The per-token ingestion limit (INGEST_RATE, 600/min by default) would cap the very rate being measured.
        env = {**os.environ, "DATABASE_URL": database_url(connection.settings_dict), "DJANGO_SETTINGS_MODULE": "config.settings",
               "DEBUG": "0", "INGEST_RATE": "1000000/min"}
        connection.close()
        server = start_server(port, args.web_workers, env)
        wait_for_server(port)
        print(f"gunicorn on 127.0.0.1:{port} ({args.web_workers} workers); posting {args.events:,} events in "
              f"{len(bodies)} batches of {args.batch:,} from {args.clients} connections "
              f"({', '.join(f'{n:,} {k}' for k, n in counts.items())}) …")
        answers, seconds = post_all(f"http://127.0.0.1:{port}/api/v1/events", token, bodies, args.clients)
        accepted = sum(a["accepted"] for a in answers)
        duplicates = sum(a["duplicates"] for a in answers)

        enrolled = Enrollment.objects.filter(journey=journey, member__external_id__startswith="new-").count()
        woken = Enrollment.objects.filter(journey=journey, node_key="w1", due_at__lt=NOW + timedelta(days=1)).count()
        goals = GoalConversion.objects.filter(journey=journey, goal_key="first_order").count()
        assert accepted == args.events and duplicates == 0, (accepted, duplicates)
        assert Event.objects.count() == args.events
        assert Member.objects.filter(external_id__startswith="new-").count() == counts["registered"] == enrolled, enrolled
        assert woken == counts["order_paid"] == goals, (woken, goals)
        print(f"  {accepted:,} events accepted in {seconds:.2f} s = {accepted / seconds:,.0f} events/s "
              f"(target ≥ 10,000 /s, engine hand-off included)")
        print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
        print(f"  engine hand-off: {enrolled:,} new members enrolled, {woken:,} waiting enrolments woken, "
              f"{goals:,} first_order goals recorded")
        print("RESULT " + json.dumps({"bench": "ingest", "events": accepted, "seconds": round(seconds, 2),
                                      "events_per_s": round(accepted / seconds), "load": round(os.getloadavg()[0], 1)}))
    finally:
        if server is not None:
            os.killpg(server.pid, 15)
            server.wait(timeout=30)
        if not args.keep:
            drop_bench_database(database)


if __name__ == "__main__":
    main()
