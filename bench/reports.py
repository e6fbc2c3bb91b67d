"""Report read latency at 1,000,000 enrolments on PostgreSQL.

    python -m bench.reports [--enrolments 1000000] [--samples 200] [--keep]

Builds a throw-away database (bench_reports_<DATABASE_URL's name>, dropped at the end unless
--keep) and fills it with INSERT … SELECT generate_series: N members, a published 30-node
journey with two split nodes (`ab`: A/B/control 45/45/10; `tone`: warm/plain inside A and B),
N enrolments spread over 30 days and over the nodes, first and second order goal conversions
with their order_paid events, and the engine's NodeStat counters for every node. Then it
measures, through the Django test client with a signed-in viewer:

- GET /api/v1/journeys/{id}/stats (steady state: the variant rollup is fresh, as the beat keeps it),
- the rollup refresh itself (reports.rollups.refresh, what the beat task does per journey),
- the funnel computation (reports.snapshots.compute: funnel + daily activity, what a stale
  read triggers in the background), per cohort unit,
- GET /api/v1/journeys/{id}/funnel?cohort=day and ?cohort=week (served from the snapshot),
- GET /reports/{id}/ (the whole report page).

Prints p50/p95/max per request in milliseconds and writes var/bench/reports.json.
"""

import argparse
import json
import os
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from bench import create_bench_database, drop_bench_database

T0 = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[1]


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def document():
    """A 30-node onboarding-like journey: a 3-way split, and a second split reached from arm A."""
    nodes = [{"key": "start", "type": "entry", "config": {"event": "registered"}},
             {"key": "ab", "type": "split", "label": "First nudge timing", "config": {"variants": [
                 {"key": "A", "weight": 45}, {"key": "B", "weight": 45}, {"key": "control", "weight": 10}]}},
             {"key": "tone", "type": "split", "label": "Message tone", "config": {"variants": [
                 {"key": "warm", "weight": 50}, {"key": "plain", "weight": 50}]}},
             {"key": "hold", "type": "wait", "config": {"event": "order_paid", "timeout": {"days": 30}}}]
    edges = [{"from": "start", "to": "ab"}, {"from": "ab", "to": "dA0", "branch": "A"},
             {"from": "ab", "to": "dB0", "branch": "B"}, {"from": "ab", "to": "hold", "branch": "control"}]
    for arm in ("A", "B"):
        chain = [(f"d{arm}0", "delay", {"days": 2 if arm == "A" else 3, "anchor": "entry"})]
        chain += [(f"s{arm}{i}", "send", {"channel": "sms", "template": "nudge"}) if i % 2 == 0 else
                  (f"w{arm}{i}", "wait", {"event": "order_paid", "timeout": {"days": 5}}) for i in range(1, 9)]
        chain += [(f"x{arm}", "action", {"add_tag": f"done-{arm}"})]
        for key, kind, config in chain:
            nodes.append({"key": key, "type": kind, "config": config})
        for (a, *_), (b, *_) in zip(chain, chain[1:]):
            edges.append({"from": a, "to": b, "branch": "timeout"} if a.startswith("w") else {"from": a, "to": b})
        edges.append({"from": f"x{arm}", "to": "vip"})
    nodes += [{"key": "done", "type": "exit"}, {"key": "lost", "type": "exit"},
              {"key": "tag", "type": "action", "config": {"add_tag": "bench"}},
              {"key": "vip", "type": "condition", "config": {"rule": {"tag": "vip"}}},
              {"key": "tone_warm", "type": "send", "config": {"channel": "sms", "template": "warm"}},
              {"key": "tone_plain", "type": "send", "config": {"channel": "sms", "template": "plain"}}]
    edges += [{"from": "tone", "to": "tone_warm", "branch": "warm"}, {"from": "tone", "to": "tone_plain", "branch": "plain"},
              {"from": "hold", "to": "done", "branch": "matched"}, {"from": "hold", "to": "lost", "branch": "timeout"},
              {"from": "vip", "to": "tag", "branch": "yes"}, {"from": "vip", "to": "done", "branch": "no"},
              {"from": "tag", "to": "done"}, {"from": "sA1", "to": "tone"}]
    return {"format": "journey/v1", "name": "Bench: reports at 1M", "settings": {"timezone": "Asia/Shanghai", "goals": [
        {"key": "first_order", "event": "order_paid", "nth": 1, "window_days": 30},
        {"key": "second_order", "event": "order_paid", "nth": 2, "window_days": 60}]}, "nodes": nodes, "edges": edges}


def create_world(n):
    from django.db import connection

    from journeys.models import Journey, JourneyVersion

    doc = document()
    journey = Journey.objects.create(name=doc["name"], status=Journey.Status.LIVE, draft=doc)
    version = JourneyVersion.objects.create(journey=journey, number=1, document=doc, published_at=T0)
    journey.current_version = version
    journey.save(update_fields=["current_version"])
    keys = [node["key"] for node in doc["nodes"]]
    assert len(keys) == 30, len(keys)
    params = {"n": n, "t0": T0, "journey": journey.pk, "version": version.pk, "keys": keys}
    timings = {}
    with connection.cursor() as cursor:
        def run(label, sql):
            started = time.perf_counter()
            cursor.execute(sql, params)
            timings[label] = round(time.perf_counter() - started, 1)
            print(f"  {label}: {timings[label]} s", flush=True)

        cursor.execute("SELECT setseed(0.2026)")
        run("members", """
            INSERT INTO members_member (external_id, name, phone, email, wechat_openid, miniprogram_openid, attributes,
                registered_at, timezone, points, opted_out, rfm_group, rfm_scores, lifecycle_stage, created_at, updated_at)
            SELECT 'bench-' || g, '', '', '', '', '', '{}', %(t0)s + (g %% 30) * interval '1 day', '', 0, '[]', '', '', '',
                   %(t0)s, %(t0)s
            FROM generate_series(1, %(n)s) g""")
        # One enrolment per member: variant by weight, tone inside A/B, a node and a status.
        run("enrolments", """
            INSERT INTO journeys_enrollment (journey_id, version_id, member_id, status, node_key, visit, due_at,
                waiting_for, shard, assignments, enrolled_at, node_entered_at, finished_at, exit_reason)
            SELECT %(journey)s, %(version)s, m.id,
                   CASE WHEN r.s < 0.55 THEN 'completed' WHEN r.s < 0.8 THEN 'waiting' ELSE 'active' END,
                   (%(keys)s::text[])[1 + floor(r.k * 30)::int], 3, NULL, '', m.id %% 4,
                   CASE WHEN r.v < 0.45 THEN jsonb_build_object('ab', 'A', 'tone', CASE WHEN r.t < 0.5 THEN 'warm' ELSE 'plain' END)
                        WHEN r.v < 0.90 THEN jsonb_build_object('ab', 'B')
                        ELSE jsonb_build_object('ab', 'control') END,
                   m.registered_at + r.h * interval '10 hours', m.registered_at + interval '2 days', NULL, ''
            FROM members_member m
            CROSS JOIN LATERAL (SELECT random() AS s, random() AS k, random() AS v, random() AS t, random() AS h,
                                       m.id AS dependency) r
            WHERE m.external_id LIKE 'bench-%%'""")
        run("first orders", """
            INSERT INTO journeys_goalconversion (journey_id, enrollment_id, member_id, goal_key, converted_at, value)
            SELECT e.journey_id, e.id, e.member_id, 'first_order', e.enrolled_at + random() * interval '12 days', 99.00
            FROM journeys_enrollment e
            WHERE e.journey_id = %(journey)s AND random() < CASE e.assignments->>'ab' WHEN 'A' THEN 0.22
                                                                                    WHEN 'B' THEN 0.25 ELSE 0.15 END""")
        run("second orders", """
            INSERT INTO journeys_goalconversion (journey_id, enrollment_id, member_id, goal_key, converted_at, value)
            SELECT c.journey_id, c.enrollment_id, c.member_id, 'second_order', c.converted_at + random() * interval '20 days', 120.00
            FROM journeys_goalconversion c WHERE c.journey_id = %(journey)s AND random() < 0.3""")
        run("order events", """
            INSERT INTO members_event (member_id, name, properties, value, occurred_at, received_at)
            SELECT c.member_id, 'order_paid', '{}', round((40 + random() * 220)::numeric, 2), c.converted_at, c.converted_at
            FROM journeys_goalconversion c WHERE c.journey_id = %(journey)s""")
        run("node counters", """
            INSERT INTO journeys_nodestat (journey_id, version_id, node_key, metric, count)
            SELECT %(journey)s, %(version)s, node_key, metric, n FROM (
                SELECT node_key, 'entered' AS metric, COUNT(*) AS n FROM journeys_enrollment WHERE journey_id = %(journey)s GROUP BY 1
                UNION ALL SELECT node_key, 'active', COUNT(*) FILTER (WHERE status IN ('active', 'waiting'))
                    FROM journeys_enrollment WHERE journey_id = %(journey)s GROUP BY 1
                UNION ALL SELECT node_key, 'branch:next', COUNT(*) FILTER (WHERE status = 'completed')
                    FROM journeys_enrollment WHERE journey_id = %(journey)s GROUP BY 1
                UNION ALL SELECT e.node_key, 'conversion:' || c.goal_key, COUNT(*) FROM journeys_enrollment e
                    JOIN journeys_goalconversion c ON c.enrollment_id = e.id WHERE e.journey_id = %(journey)s GROUP BY 1, 2
                UNION ALL SELECT '', 'conversion:' || goal_key, COUNT(*) FROM journeys_goalconversion
                    WHERE journey_id = %(journey)s GROUP BY 2
            ) t""")
        run("analyze", "ANALYZE members_member, journeys_enrollment, journeys_goalconversion, members_event, journeys_nodestat")
    return journey, timings


def measure(client, url, samples):
    for _ in range(3):
        assert client.get(url).status_code == 200, url
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    times.sort()
    return {"samples": samples, "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(times[max(0, int(len(times) * 0.95) - 1)], 1), "max_ms": round(times[-1], 1)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enrolments", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=200, help="requests measured per endpoint (report page: a fifth)")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    args = parser.parse_args(argv)
    setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.test import Client

    database = create_bench_database("reports")
    try:
        print(f"database {database}: generating {args.enrolments:,} enrolments", flush=True)
        journey, timings = create_world(args.enrolments)
        from reports import rollups

        refresh = []
        for _ in range(3):
            started = time.perf_counter()
            rollups.refresh(journey)
            refresh.append((time.perf_counter() - started) * 1000)
        from reports import snapshots

        funnel_compute = {}
        for unit in ("day", "week"):
            runs = []
            for _ in range(2):
                started = time.perf_counter()
                snapshots.compute(journey, unit, settings.TIME_ZONE)
                runs.append((time.perf_counter() - started) * 1000)
            funnel_compute[unit] = {"runs": len(runs), "median": round(statistics.median(runs), 1), "max": round(max(runs), 1)}
        user = get_user_model().objects.create_user("bench-viewer", password="x")
        user.groups.add(Group.objects.get(name="viewer"))
        client = Client()
        client.force_login(user)
        stats = client.get(f"/api/v1/journeys/{journey.pk}/stats").json()
        results = {
            "enrolments": args.enrolments,
            "nodes": len(stats["nodes"]),
            "variants": {s: {k: v["members"] for k, v in split["variants"].items()} for s, split in stats["splits"].items()},
            "generate_seconds": timings,
            "rollup_refresh_ms": {"runs": len(refresh), "median": round(statistics.median(refresh), 1), "max": round(max(refresh), 1)},
            "stats": measure(client, f"/api/v1/journeys/{journey.pk}/stats", args.samples),
            "funnel_compute_ms": funnel_compute,
            "funnel_day": measure(client, f"/api/v1/journeys/{journey.pk}/funnel?cohort=day", args.samples),
            "funnel_week": measure(client, f"/api/v1/journeys/{journey.pk}/funnel?cohort=week", args.samples),
            "report_page": measure(client, f"/reports/{journey.pk}/", max(10, args.samples // 5)),
            "cpu_count": os.cpu_count(),
        }
    finally:
        if not args.keep:
            drop_bench_database(database)
    out = ROOT / "var" / "bench" / "reports.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    print("RESULT " + json.dumps({"bench": "reports", "enrolments": args.enrolments,
                                  **{f"{key}_{figure}": results[key][f"{figure}_ms"]
                                     for key in ("stats", "funnel_day", "funnel_week", "report_page") for figure in ("p50", "p95")},
                                  "load": round(os.getloadavg()[0], 1)}))
    return results


if __name__ == "__main__":
    main()
