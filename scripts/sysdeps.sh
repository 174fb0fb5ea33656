#!/usr/bin/env bash
# Install the system packages Lockstep needs when they are missing: `sysdeps.sh run`, `test` or `bench`.
# As root it uses apt-get; otherwise it says exactly what to install and stops.
set -euo pipefail
want=()
command -v bwrap >/dev/null || want+=(bubblewrap)
[ -e /usr/lib/x86_64-linux-gnu/libseccomp.so.2 ] || [ -e /usr/lib/aarch64-linux-gnu/libseccomp.so.2 ] \
  || ldconfig -p 2>/dev/null | grep -q 'libseccomp.so.2' || want+=(libseccomp2)
if [ "${1:-run}" = test ]; then
  command -v chromium >/dev/null || want+=(chromium)
fi
if [ "${1:-run}" = bench ]; then
  # bench/load.py drives the pages with wrk.
  command -v wrk >/dev/null || want+=(wrk)
fi
if [ -n "${NEED_REDIS:-}" ] && ! command -v redis-server >/dev/null; then
  want+=(redis-server)
fi
[ ${#want[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[setup] installing ${want[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
else
  echo "[setup] missing system packages: ${want[*]}" >&2
  echo "[setup] install them with: sudo apt-get install -y ${want[*]}" >&2
  exit 1
fi
