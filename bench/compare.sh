#!/usr/bin/env bash
# Before/after on one machine in one invocation: REV (e.g. the commit before a change) against the
# working tree, A/B/A, so the machine's drift shows as the difference between the two A runs.
#
#   bash bench/compare.sh REV [engine-members] [ingest-events]
#   bash bench/compare.sh cc60176 1000000 200000
#
# REV is checked out with `git worktree add` in a temporary folder (removed at the end) and run with
# this tree's .venv; each bench module builds and drops its own throw-away database on the
# PostgreSQL of DATABASE_URL (default: the local server, database jc_compare).
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: bash bench/compare.sh REV [engine-members] [ingest-events]}"
members="${2:-1000000}"
events="${3:-200000}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/jc_compare}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/10}"
py="$PWD/.venv/bin/python"
before="$(mktemp -d)/before"
git worktree add --detach "$before" "$rev" >/dev/null
trap 'git worktree remove --force "$before"' EXIT

run() {  # tree, label, module, arguments…
  local tree="$1" label="$2"; shift 2
  echo "=== $label ($(cd "$tree" && git rev-parse --short HEAD)) python -m $*   $(date -u +%H:%M:%S) UTC, load $(cut -d' ' -f1 /proc/loadavg)"
  (cd "$tree" && "$py" -m "$@" 2>&1 | grep -E "SQL floor \(1|engine \(|engine / SQL|accepted in|CPU of|RESULT")
}

for pass in A B A; do
  if [ "$pass" = A ]; then tree="$before" label="before"; else tree="$PWD" label="after"; fi
  run "$tree" "$label" bench.engine --members "$members"
done
for pass in A B A; do
  if [ "$pass" = A ]; then tree="$before" label="before"; else tree="$PWD" label="after"; fi
  half=$((events / 2))
  run "$tree" "$label" bench.ingest --events "$events" --waiting "$half" --existing "$half"
done
