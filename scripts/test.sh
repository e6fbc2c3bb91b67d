#!/usr/bin/env bash
# `make test`: the whole suite against PostgreSQL and Redis (real services, real Celery worker).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/database.sh
export DATABASE_URL="${TEST_DATABASE_URL:-$(default_database_url journey_canvas)}"
export REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379/1}"
export DJANGO_SETTINGS_MODULE=config.settings
case "$DATABASE_URL" in
  postgres*) ;;
  *) echo "error: the test suite needs PostgreSQL on 127.0.0.1:5432 (see README)." >&2; exit 1 ;;
esac
.venv/bin/python manage.py compilemessages --ignore=.venv >/dev/null
.venv/bin/python manage.py collectstatic --noinput >/dev/null
exec .venv/bin/pytest "$@"
