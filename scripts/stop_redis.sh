#!/usr/bin/env bash
# Stop the private redis-server that ensure_redis.py started, if it did.
pidfile="${LOCKSTEP_VAR_DIR:-var}/redis.pid"
if [ -f "$pidfile" ]; then
  kill "$(cat "$pidfile")" 2>/dev/null || true
  rm -f "$pidfile"
fi
