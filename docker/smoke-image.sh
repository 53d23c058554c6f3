#!/usr/bin/env bash
# Smoke-test the image `make image` built: against this machine's PostgreSQL and Redis (host
# network), run `migrate`, then `serve`; check /readyz, the image's own health check and one
# GraphQL call with the operator key the first start prints; stop it with SIGTERM and check it
# drained (shut down by itself, within the grace time, not killed).
#
# Environment: IMAGE (default localhost/gatehouse:latest), SMOKE_POSTGRES (a server URL without
# a database, default postgres://postgres@127.0.0.1:5432: a throwaway database is made on it
# and dropped), SMOKE_REDIS_URL (default redis://127.0.0.1:6379/15).
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=${IMAGE:-localhost/gatehouse:latest}
SMOKE_POSTGRES=${SMOKE_POSTGRES:-postgres://postgres@127.0.0.1:5432}
SMOKE_REDIS_URL=${SMOKE_REDIS_URL:-redis://127.0.0.1:6379/15}
# shellcheck source=docker/podman-flags.sh
. docker/podman-flags.sh

database="gatehouse_image_smoke_$$"
name="gatehouse-smoke-$$"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
secret_key=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
started=$(date +%s)

fail() {
  echo "image smoke test: FAILED: $*" >&2
  if podman container exists "$name" 2>/dev/null; then
    echo "--- container log:" >&2
    podman logs "$name" >&2 2>&1 | tail -n 40 >&2 || true
  fi
  exit 1
}

cleanup() {
  podman rm -f "$name" >/dev/null 2>&1 || true
  psql "$SMOKE_POSTGRES/postgres" -qc "DROP DATABASE IF EXISTS \"$database\" WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

podman image exists "$IMAGE" || fail "no image $IMAGE: run 'make image' first"
psql "$SMOKE_POSTGRES/postgres" -qc "CREATE DATABASE \"$database\"" \
  || fail "cannot create a database on $SMOKE_POSTGRES"

# --health-interval=disable: no systemd timer for the HEALTHCHECK (systemd is not PID 1
# here); the check is run once by hand below.
run_flags=(
  "${PODMAN_FLAGS[@]}" --network host --health-interval=disable
  -e "DATABASE_URL=$SMOKE_POSTGRES/$database"
  -e "REDIS_URL=$SMOKE_REDIS_URL"
  -e "GATEHOUSE_SECRET_KEY=$secret_key"
  -e "GATEHOUSE_PORT=$port"
  -e "GATEHOUSE_BASE_URL=http://127.0.0.1:$port"
)

echo "== image smoke: migrate"
podman run --rm "${run_flags[@]}" "$IMAGE" migrate || fail "'gatehouse migrate' in the image failed"

echo "== image smoke: serve on 127.0.0.1:$port"
podman run -d --name "$name" "${run_flags[@]}" "$IMAGE" >/dev/null || fail "podman run failed"
ready=""
for _ in $(seq 1 60); do
  if [ "$(podman inspect --format '{{.State.Running}}' "$name")" != true ]; then
    fail "the container exited before it was ready"
  fi
  if body=$(curl -fsS "http://127.0.0.1:$port/readyz" 2>/dev/null); then
    ready=$body
    break
  fi
  sleep 1
done
[ -n "$ready" ] || fail "/readyz did not answer 200 within 60 s"
echo "/readyz: $ready"
podman healthcheck run "$name" >/dev/null || fail "the image's HEALTHCHECK failed"
echo "HEALTHCHECK: healthy"

key=$(podman logs "$name" 2>/dev/null | sed -n 's/^  secret: *//p' | head -n1)
[ -n "$key" ] || fail "the first start printed no operator key"
answer=$(curl -fsS "http://127.0.0.1:$port/graphql" -H "Authorization: Bearer $key" \
  -H 'Content-Type: application/json' \
  -d '{"query":"mutation { createOrganization(input: {name: \"Smoke\"}) { organization { id name } userErrors { code } } }"}') \
  || fail "the GraphQL call failed"
echo "GraphQL: $answer"
case "$answer" in
  *'"name":"Smoke"'*) ;;
  *) fail "unexpected GraphQL answer: $answer" ;;
esac

echo "== image smoke: SIGTERM"
stop_started=$(date +%s)
podman stop --time 40 "$name" >/dev/null || fail "podman stop failed"
stop_seconds=$(($(date +%s) - stop_started))
code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
logs=$(podman logs "$name" 2>&1)
# 137 = SIGKILL after the stop timeout: the server did not drain by itself.
case "$code" in 0 | 143) ;; *) fail "exit code $code after SIGTERM (137 = killed, did not drain)" ;; esac
grep -q '"message": "Application shutdown complete."' <<<"$logs" \
  || fail "no 'Application shutdown complete.' in the log: the lifespan shutdown did not run"
grep -q '"message": "Tortoise-ORM shutdown"' <<<"$logs" \
  || fail "the database pool was not closed on SIGTERM"
grep -E '"message": "(Shutting down|Waiting for application shutdown.|Application shutdown complete.)"' <<<"$logs" || true
echo "drained: exit $code after ${stop_seconds} s, lifespan shutdown complete"
echo "== image smoke test passed in $(($(date +%s) - started)) s"
