#!/usr/bin/env bash
# Start the Celery workers and the web server; logs prefixed by process; Ctrl-C stops them all.
set -uo pipefail
cd "$(dirname "$0")/.."
# Exported: the web server and the workers derive SITE_URL (emailed links) from it.
export PORT="${PORT:-8000}"
BIN=.venv/bin
pids=()

prefix() { sed -u "s/^/[$1] /"; }
start() {
  local name=$1; shift
  ( exec "$@" 2>&1 ) > >(prefix "$name") &
  pids+=($!)
}
stop() {
  trap - INT TERM EXIT
  echo "[run] stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  wait 2>/dev/null
  scripts/stop_redis.sh
  echo "[run] stopped"
}
trap stop INT TERM EXIT

# Three workers: `runs` takes output-only jobs side by side; `timing` runs one job at a time on
# this host so learners' measurements do not distort each other. Distinct slot bases give each
# worker process its own sandbox uid.
start worker-runs env SANDBOX_SLOT_BASE=0 $BIN/celery -A config worker -Q runs -c "$(nproc)" \
  -n "runs@%h" --without-gossip --without-mingle -l info
start worker-timing env SANDBOX_SLOT_BASE=32 $BIN/celery -A config worker -Q timing -c 1 \
  --prefetch-multiplier 1 -n "timing@%h" --without-gossip --without-mingle -l info
# Mail (confirmations, launch fan-out, reminders, account emails) has its own queue and worker,
# so a launch never competes with learners' runs (routes: CELERY_TASK_ROUTES in settings).
start worker-mail $BIN/celery -A config worker -Q mail -c 2 -n "mail@%h" --without-gossip \
  --without-mingle -l info
# Periodic tasks (CELERY_BEAT_SCHEDULE: the review-reminder sweep); one beat per deployment.
start beat $BIN/celery -A config beat -l info -s var/celerybeat-schedule
start web $BIN/python manage.py runserver "127.0.0.1:$PORT"

sleep 2
echo "[run] Lockstep is running at http://127.0.0.1:$PORT/  (health: http://127.0.0.1:$PORT/healthz; Ctrl-C stops)"
wait -n
echo "[run] a process exited; stopping the rest"
