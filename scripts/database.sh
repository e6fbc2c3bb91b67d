# Sourced by run.sh and test.sh: pick PostgreSQL when it answers locally, else the SQLite default.
default_database_url() {
  local name="$1"
  if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
    local user="${PGUSER:-postgres}"
    if ! psql -h 127.0.0.1 -U "$user" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='${name}'" 2>/dev/null | grep -q 1; then
      createdb -h 127.0.0.1 -U "$user" "$name" 2>/dev/null || true
    fi
    echo "postgres://${user}@127.0.0.1:5432/${name}"
  else
    echo "sqlite:///$(pwd)/db.sqlite3"
  fi
}
