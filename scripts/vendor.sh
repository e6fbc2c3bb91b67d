#!/usr/bin/env bash
# Refresh static/vendor/ from the npm registry (versions pinned in package.json / package-lock.json).
# The vendored files are committed, so neither `make run` nor `make test` needs npm.
set -euo pipefail
cd "$(dirname "$0")/.."
npm install --no-audit --no-fund --ignore-scripts >/dev/null
v=static/vendor
rm -rf "$v" && mkdir -p "$v"/htmx "$v"/drawflow "$v"/dagre "$v"/echarts
cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/LICENSE "$v"/htmx/
cp node_modules/drawflow/dist/drawflow.min.js node_modules/drawflow/dist/drawflow.min.css node_modules/drawflow/LICENSE "$v"/drawflow/
cp node_modules/@dagrejs/dagre/dist/dagre.min.js node_modules/@dagrejs/dagre/LICENSE "$v"/dagre/
cp node_modules/echarts/dist/echarts.min.js node_modules/echarts/LICENSE node_modules/echarts/NOTICE "$v"/echarts/
for pkg in htmx.org drawflow @dagrejs/dagre echarts; do
  printf '%s %s\n' "$pkg" "$(node -p "require('./node_modules/$pkg/package.json').version")"
done > "$v"/VERSIONS
cat "$v"/VERSIONS
