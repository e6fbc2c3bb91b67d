#!/usr/bin/env bash
# `make run`: migrate, create the admin user, load demo data, then web + worker + beat via honcho.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/database.sh
export DATABASE_URL="${DATABASE_URL:-$(default_database_url journey_canvas)}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-config.settings}"
mkdir -p var
PY=.venv/bin/python
echo "Database: ${DATABASE_URL}"
$PY manage.py migrate --noinput
$PY manage.py compilemessages --ignore=.venv >/dev/null
$PY manage.py collectstatic --noinput >/dev/null
$PY manage.py ensure_admin
$PY manage.py demo
echo
echo "Journey Canvas is starting on http://127.0.0.1:${PORT:-8000}  (Ctrl-C stops web, worker and beat)"
# honcho gives each process its own PORT (5000 upwards unless -p): the web process, first in the
# Procfile, gets the base port.
exec .venv/bin/honcho start -f Procfile -p "${PORT:-8000}"
