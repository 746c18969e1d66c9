#!/usr/bin/env bash
# Runs every test Linli has. What the machine cannot run is named in the last lines;
# with LINLI_REQUIRE_ALL=1 (CI) anything skipped for lack of a tool is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
BIN=$VENV/bin
export PATH="$PWD/$BIN:$PATH"
export LINLI_VAR_DIR=${LINLI_VAR_DIR:-$(mktemp -d)}
export DEBUG=1
failed=()
skipped=()
start=$(date +%s)

step() {  # step NAME COMMAND...
  local name=$1; shift
  echo "==> $name"
  local t0=$(date +%s)
  if "$@"; then echo "    ok ($(( $(date +%s) - t0 ))s)"; else failed+=("$name"); echo "    FAILED: $name"; fi
}

step "ruff lint" ruff check .
step "ruff format" ruff format --check .
step "mypy" mypy linli
step "missing migrations" linli makemigrations --check --dry-run -v0
step "check --deploy (production settings)" env DEBUG=0 SECRET_KEY="$(python -c 'import secrets;print(secrets.token_urlsafe(50))')" \
  LINLI_PII_KEYS="k1:$(python -c 'import secrets;print(secrets.token_hex(32))')" ALLOWED_HOSTS=linli.example \
  linli check --deploy --fail-level WARNING
step "collectstatic (production static files)" env DEBUG=0 SECRET_KEY=collectstatic-only \
  LINLI_VAR_DIR="$(mktemp -d)" linli collectstatic --noinput -v0

# Browser tests need Debian's chromium.
CHROMIUM=${LINLI_CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}
browser_marker="not browser"
if [ -n "$CHROMIUM" ]; then
  export LINLI_CHROMIUM="$CHROMIUM"
  browser_marker=""
else
  skipped+=("browser tests (no chromium: apt-get install chromium)")
fi

step "pytest on SQLite" pytest -q -p no:cacheprovider ${browser_marker:+-m "$browser_marker"}

# PostgreSQL: a throwaway server from the Debian binaries, on a private socket.
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -n "$PGBIN" ] && [ -x "$PGBIN/initdb" ]; then
  pgdir=$(mktemp -d)
  chmod 755 "$pgdir"
  run=()
  if [ "$(id -u)" = 0 ]; then chown postgres "$pgdir" 2>/dev/null || { useradd -r postgres && chown postgres "$pgdir"; }; run=(runuser -u postgres --); fi
  port=$(( 20000 + RANDOM % 10000 ))
  if "${run[@]}" "$PGBIN/initdb" -D "$pgdir/data" -U linli -A trust -E UTF8 --locale=C.UTF-8 >"$pgdir/initdb.log" 2>&1 &&
     "${run[@]}" "$PGBIN/pg_ctl" -D "$pgdir/data" -l "$pgdir/server.log" -w \
       -o "-k $pgdir -p $port -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null; then
    step "pytest on PostgreSQL" env DATABASE_URL="postgres://linli@/linli?host=$pgdir&port=$port" \
      pytest -q -p no:cacheprovider -m "not browser"
    "${run[@]}" "$PGBIN/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null
  else
    failed+=("PostgreSQL server start"); cat "$pgdir"/*.log
  fi
  rm -rf "$pgdir"
else
  skipped+=("pytest on PostgreSQL (no server binaries: apt-get install postgresql)")
fi

echo
echo "make test took $(( $(date +%s) - start ))s"
for s in "${skipped[@]}"; do echo "SKIPPED: $s"; done
for f in "${failed[@]}"; do echo "FAILED: $f"; done
if [ ${#failed[@]} -gt 0 ]; then exit 1; fi
if [ ${#skipped[@]} -gt 0 ] && [ "${LINLI_REQUIRE_ALL:-0}" = 1 ]; then
  echo "LINLI_REQUIRE_ALL=1: skipped steps count as failures"; exit 1
fi
echo "all test steps passed"
