"""Every benchmark in one run, one table.

    python -m bench all            full size (1,000,000 members; takes about an hour on 2 cores)
    python -m bench all --quick    everything at 1/10 size, a smoke check of the whole set-up
    python -m bench all --only engine,naive
    make bench ARGS=--quick        the same through make (`all` is the default)

Runs each bench module as its own subprocess, one after the other (so they never compete for
the machine with each other), against the PostgreSQL of DATABASE_URL (each module makes and drops
its own throw-away database) and the Redis of REDIS_URL. Every module ends with a line
`RESULT {json}`; this collects those lines and prints one table with the targets of
ARCHITECTURE.md, and writes the raw results to var/bench/all.json. Each module also runs on its
own: `python -m bench.engine --help`.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# (module, full-size arguments, --quick arguments), in the order they run.
BENCHES = [
    ("engine", ["--members", "1000000"], ["--members", "100000"]),
    # The naive design moved 10–15 members/s here under load: 3,000 tasks is minutes, enough to measure.
    ("naive", ["--members", "3000"], ["--members", "300"]),
    ("e2e", ["--members", "1000000"], ["--members", "100000"]),
    ("ingest", ["--events", "200000", "--waiting", "100000", "--existing", "100000"],
     ["--events", "20000", "--waiting", "10000", "--existing", "10000"]),
    ("reports", ["--enrolments", "1000000", "--samples", "200"], ["--enrolments", "100000", "--samples", "50"]),
    ("canvas", ["--runs", "50"], ["--runs", "10"]),
]
NAMES = [name for name, *_ in BENCHES]


def parse_result(output):
    """The JSON of the last `RESULT {…}` line of a bench's output, or None when it printed none."""
    for line in reversed(output.splitlines()):
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    return None


def run_bench(name, args):
    """Run `python -m bench.<name> args`, echoing its output; returns (result or None, seconds)."""
    command = [sys.executable, "-m", f"bench.{name}", *args]
    print(f"\n=== {' '.join(['python', *command[1:]])}   (load average {os.getloadavg()[0]:.1f})", flush=True)
    started = time.perf_counter()
    lines = []
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            print(f"  {line}", end="", flush=True)
            lines.append(line)
    result = parse_result("".join(lines)) if process.returncode == 0 else None
    return result, time.perf_counter() - started


def _n(value, unit=""):
    return f"{value:,.0f}{unit}" if isinstance(value, (int, float)) else "—"


def _ms(result, key):
    if result is None:
        return "—"
    return f"{result[key + '_p50' if key + '_p50' in result else key + '_median']:.0f} / {result[key + '_p95']:.0f} ms"


def _verdict(ok):
    return "—" if ok is None else ("met" if ok else "MISSED")


def table_rows(results):
    """(what, measured, baseline / ratio, target, verdict) rows from the parsed RESULT dicts."""
    rows = []
    engine, naive, e2e = results.get("engine"), results.get("naive"), results.get("e2e")
    ingest, reports, canvas = results.get("ingest"), results.get("reports"), results.get("canvas")
    if engine:
        rows.append((f"1 engine, {engine['members']:,} members: member-steps/s", _n(engine["engine_per_s"], " /s"),
                     f"SQL floor {_n(engine['sql_floor_per_s'], ' /s')} → {engine['ratio_to_floor']:.0%}",
                     "≥ 30,000 /s, ≥ 50 %", _verdict(engine["engine_per_s"] >= 30_000 and engine["ratio_to_floor"] >= 0.5)))
    elif "engine" in results:  # ran, but printed no RESULT line
        rows.append(("1 engine vs SQL floor", "failed", "", "≥ 30,000 /s, ≥ 50 %", "—"))
    if naive:
        rows.append((f"1 naive, one task per member ({naive['members']:,} sample)", _n(naive["naive_per_s"], " /s"),
                     f"engine on the same sample {_n(naive['engine_per_s'], ' /s')} → {naive['ratio']:.1f}×", "≥ 50×",
                     _verdict(naive["ratio"] >= 50)))
    elif "naive" in results:  # ran, but printed no RESULT line
        rows.append(("1 naive, one task per member", "failed", "", "≥ 50×", "—"))
    if e2e:
        rows.append((f"2 beat + worker, {e2e['members']:,} due members", f"{e2e['seconds']:,.0f} s ({_n(e2e['per_s'], ' /s')})",
                     "", "", "—"))
        rows.append(("2 peak RSS of a worker process", _n(e2e["worker_rss_mb"], " MB"), "", "< 300 MB",
                     _verdict(e2e["worker_rss_mb"] < 300)))
    elif "e2e" in results:  # ran, but printed no RESULT line
        rows.append(("2 beat + worker end to end", "failed", "", "< 300 MB RSS", "—"))
    if ingest:
        rows.append((f"3 ingestion, {ingest['events']:,} events in batches of 1,000", _n(ingest["events_per_s"], " /s"), "",
                     "≥ 10,000 /s", _verdict(ingest["events_per_s"] >= 10_000)))
    elif "ingest" in results:  # ran, but printed no RESULT line
        rows.append(("3 ingestion", "failed", "", "≥ 10,000 /s", "—"))
    if reports:
        size = f"{reports['enrolments']:,} enrolments"
        rows.append((f"4 /stats p50 / p95, {size}", _ms(reports, "stats"), "", "p95 < 100 ms",
                     _verdict(reports["stats_p95"] < 100)))
        rows.append((f"4 /funnel?cohort=day p50 / p95, {size}", _ms(reports, "funnel_day"), "", "", "—"))
        rows.append((f"4 /funnel?cohort=week p50 / p95, {size}", _ms(reports, "funnel_week"), "", "", "—"))
    elif "reports" in results:  # ran, but printed no RESULT line
        rows.append(("4 /stats and /funnel", "failed", "", "p95 < 100 ms", "—"))
    if canvas:
        rows.append(("5 canvas load, 100 nodes, median / p95", _ms(canvas, "load"), "", "< 300 ms",
                     _verdict(canvas["load_p95"] < 300)))
        rows.append(("5 canvas save, 100 nodes, median / p95", _ms(canvas, "save"), "", "< 200 ms",
                     _verdict(canvas["save_p95"] < 200)))
    elif "canvas" in results:  # ran, but printed no RESULT line
        rows.append(("5 canvas load and save", "failed", "", "< 300 / < 200 ms", "—"))
    return rows


def render_table(rows):
    header = ("what", "measured", "baseline → ratio", "target", "")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)).rstrip() for row in [header, *rows]]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def machine():
    def first_line(*command):
        try:
            return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "unknown"

    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal")), "0")
    return (f"{os.cpu_count()} CPUs, {int(memory) / 1024 / 1024:.0f} GB RAM, Python {platform.python_version()}, "
            f"{first_line('psql', '--version')}, load average {os.getloadavg()[0]:.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    # Optional, so `make bench` (python -m bench $(ARGS)) and `make bench ARGS=--quick` run them all.
    parser.add_argument("what", nargs="?", default="all", choices=["all"], help="run every bench (one at a time) and print the table")
    parser.add_argument("--quick", action="store_true", help="everything at 1/10 size: a smoke check, not a measurement")
    parser.add_argument("--only", default=",".join(NAMES), help=f"comma-separated subset of {','.join(NAMES)}")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(NAMES))
    if unknown:
        parser.error(f"unknown bench(es): {', '.join(unknown)}; choose from {', '.join(NAMES)}")

    started_at = datetime.now(UTC)
    print(f"bench all{' --quick' if args.quick else ''} at {started_at:%Y-%m-%d %H:%M} UTC on {machine()}")
    results, seconds = {}, {}
    for name, full, quick in BENCHES:
        if name in chosen:
            results[name], seconds[name] = run_bench(name, quick if args.quick else full)

    print(f"\nbench all{' --quick (1/10 size: not a measurement)' if args.quick else ''}, "
          f"{started_at:%Y-%m-%d %H:%M} UTC, {machine()}")
    print(render_table(table_rows(results)))
    print("bench wall time: " + ", ".join(f"{name} {secs / 60:.1f} min" for name, secs in seconds.items()))
    out = ROOT / "var" / "bench" / "all.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"started_at": started_at.isoformat(), "quick": args.quick, "machine": machine(),
                               "results": results, "seconds": seconds}, indent=2))
    failed = [name for name in results if results[name] is None]
    if failed:
        sys.exit(f"failed: {', '.join(failed)} (see the output above)")


if __name__ == "__main__":
    main()
