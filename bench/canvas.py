"""Server time of the canvas for a 100-node journey: the editor page load and an autosave.

    python -m bench.canvas [--runs 50]

In a throw-away database of its own (<DATABASE_URL's name>_bench_canvas, migrated, dropped at
the end), it creates a signed-in editor, the channels and templates the journey uses, and a generated
100-node journey/v1 document (an entry, an A/B/control split, and per arm a chain of delays,
sends, waits with their timeout and matched branches, conditions and actions), publishes it,
and gives every node engine counters. Then, through the Django test client against the real
database (so URL routing, middleware, session, role check, ORM, services and templates all
count; no network), it times:

- GET /journeys/{id}/ — the editor page (document, summaries of all 100 nodes, boot JSON),
- POST /journeys/{id}/draft/ — an autosave of the whole document with its revision
  (shape check, row lock, revision bump, summaries answered),
- GET /journeys/{id}/live/ — the counters the live canvas polls.

Prints median / p95 / max in milliseconds per request (targets: load < 300 ms, save < 200 ms)
and writes var/bench/canvas.json.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"editor page load": 300, "autosave": 200}


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def document(size=100):
    """A valid journey/v1 document with exactly `size` nodes, laid out left to right."""
    nodes = [{"key": "start", "type": "entry", "label": "Registered", "config": {"event": "registered"}},
             {"key": "ab", "type": "split", "label": "Timing test", "config": {"variants": [
                 {"key": "a", "weight": 45}, {"key": "b", "weight": 45}, {"key": "control", "weight": 10}]}},
             {"key": "hold", "type": "exit", "label": "Control group"},
             {"key": "done", "type": "exit", "label": "Finished"}]
    edges = [{"from": "start", "to": "ab"}, {"from": "ab", "to": "hold", "branch": "control"}]
    pattern = [("delay", {"days": 1, "at": "10:00"}), ("send", {"channel": "sms", "template": "nudge"}),
               ("wait", {"event": "order_paid", "timeout": {"days": 3}}),
               ("condition", {"rule": {"tag": "vip"}}), ("action", {"add_tag": "nudged"})]
    per_arm = (size - len(nodes)) // 2
    for arm in ("a", "b"):
        previous, branch = "ab", arm
        count = per_arm if arm == "a" else size - len(nodes)
        for i in range(count):
            kind, config = pattern[i % len(pattern)]
            key = f"{arm}{i}"
            nodes.append({"key": key, "type": kind, "label": f"{kind.title()} {arm.upper()}{i}", "config": config})
            edges.append({"from": previous, "to": key, **({"branch": branch} if branch != "next" else {})})
            if kind == "wait":
                edges.append({"from": key, "to": "done", "branch": "matched"})
            previous, branch = key, {"wait": "timeout", "condition": "yes"}.get(kind, "next")
        edges.append({"from": previous, "to": "done", **({"branch": branch} if branch != "next" else {})})
    for index, node in enumerate(nodes):
        node["position"] = {"x": 300 * (index % 20), "y": 160 * (index // 20)}
    assert len(nodes) == size
    return {"format": "journey/v1", "name": "Bench: 100 steps", "description": "",
            "settings": {"timezone": "Asia/Shanghai", "goals": [{"key": "first_order", "event": "order_paid", "nth": 1, "window_days": 30}]},
            "nodes": nodes, "edges": edges}


def timed(call, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        response = call()
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, response.content[:300])
    samples.sort()
    return {"median_ms": round(statistics.median(samples), 1), "p95_ms": round(samples[int(0.95 * (len(samples) - 1))], 1),
            "max_ms": round(samples[-1], 1), "runs": runs}


def measure(runs):
    """{request name: figures} for the generated journey, in the current database."""
    from django.test import Client

    from journeys import services
    from journeys.models import NodeStat
    from tests.factories import ChannelFactory, TemplateFactory, UserFactory

    results = {}
    TemplateFactory(slug="nudge", channel=ChannelFactory(key="sms"))
    editor = UserFactory(username="bench-canvas-editor", role="editor")
    journey = services.journey_create(document=document(), user=editor)
    version = services.journey_publish(journey, user=editor)
    NodeStat.objects.bulk_create([NodeStat(journey=journey, version=version, node_key=n["key"], metric=metric, count=count)
                                  for n in journey.draft["nodes"]
                                  for metric, count in (("entered", 1000), ("active", 120), ("branch:next", 880),
                                                        ("conversion:first_order", 210))])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(editor)
    url = f"/journeys/{journey.pk}/"
    client.get(url)  # warm up: URL resolver, template loading, first queries

    def save():
        journey.refresh_from_db(fields=["draft_revision"])
        body = json.dumps({"document": journey.draft, "revision": journey.draft_revision})
        return client.post(f"{url}draft/", body, content_type="application/json")

    results["editor page load"] = timed(lambda: client.get(url), runs)
    results["autosave"] = timed(save, runs)
    results["live counters"] = timed(lambda: client.get(f"{url}live/"), runs)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args(argv)
    setup_django()
    from bench import create_bench_database, drop_bench_database

    database = create_bench_database("canvas")
    try:
        results = measure(args.runs)
    finally:
        drop_bench_database(database)

    print(f"canvas, 100-node journey, {args.runs} runs each (server time through the Django test client, PostgreSQL)")
    for name, figures in results.items():
        target = TARGETS.get(name)
        verdict = "" if target is None else ("  ok (< %d ms)" % target if figures["p95_ms"] < target else "  OVER %d ms" % target)
        print(f"  {name:18} median {figures['median_ms']:7.1f} ms   p95 {figures['p95_ms']:7.1f} ms   max {figures['max_ms']:7.1f} ms{verdict}")
    out = ROOT / "var" / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / "canvas.json").write_text(json.dumps(results, indent=2))
    print("RESULT " + json.dumps({"bench": "canvas", "runs": args.runs,
                                  **{f"{key}_{figure}": results[name][f"{figure}_ms"]
                                     for key, name in (("load", "editor page load"), ("save", "autosave"))
                                     for figure in ("median", "p95")},
                                  "loadavg": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
