"""`python -m bench all`: its command line and the RESULT-line contract (no bench is run here)."""

import subprocess
import sys
from pathlib import Path

import pytest

from bench.__main__ import BENCHES, main, parse_result, render_table, table_rows

ROOT = Path(__file__).resolve().parents[2]


def test_bench_all_help_runs_and_names_every_option():
    done = subprocess.run([sys.executable, "-m", "bench", "all", "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "usage: python -m bench" in done.stdout
    assert "--quick" in done.stdout and "--only" in done.stdout


def test_parse_result_reads_the_last_result_line_of_a_benchs_output():
    output = ('database x_bench_engine: enrolling 1,000 members …\n'
              'RESULT {"bench": "engine", "engine_per_s": 1}\n'
              '  engine / SQL floor: 77%\n'
              'RESULT {"bench": "engine", "members": 1000, "engine_per_s": 3148, "sql_floor_per_s": 4064}\n')
    assert parse_result(output) == {"bench": "engine", "members": 1000, "engine_per_s": 3148, "sql_floor_per_s": 4064}


def test_parse_result_is_none_when_a_bench_printed_no_result_line():
    assert parse_result("Traceback (most recent call last):\n  RuntimeError: boom\n") is None


def test_table_marks_missed_and_met_targets_and_failed_benches():
    results = {"engine": {"members": 1_000_000, "engine_per_s": 3148, "sql_floor_per_s": 4064, "ratio_to_floor": 0.775},
               "naive": {"members": 3_000, "naive_per_s": 40, "engine_per_s": 4000, "ratio": 100.0},
               "ingest": None}
    rows = {row[0]: row for row in table_rows(results)}
    engine = rows["1 engine, 1,000,000 members: member-steps/s"]
    assert engine[1:] == ("3,148 /s", "SQL floor 4,064 /s → 78%", "≥ 30,000 /s, ≥ 50 %", "MISSED")
    assert rows["1 naive, one task per member (3,000 sample)"][-1] == "met"
    assert rows["3 ingestion"][1] == "failed"
    assert set(rows) == {"1 engine, 1,000,000 members: member-steps/s", "1 naive, one task per member (3,000 sample)",
                         "3 ingestion"}
    assert render_table(table_rows(results)).splitlines()[0].startswith("what")


def test_every_bench_module_has_full_and_quick_arguments_of_one_tenth_size():
    for name, full, quick in BENCHES:
        assert (ROOT / "bench" / f"{name}.py").exists(), name
        assert full[0::2] == quick[0::2], name
        if name in ("engine", "e2e", "reports"):
            assert int(full[1]) == 10 * int(quick[1]), name


def test_an_unknown_bench_name_is_refused():
    with pytest.raises(SystemExit) as exit_info:
        main(["all", "--only", "engine,warp-drive"])
    assert exit_info.value.code == 2
