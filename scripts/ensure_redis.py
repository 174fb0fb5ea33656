"""Make sure a Redis answers at REDIS_URL; start a private one when nothing does.

Prints nothing when Redis already answers. When it starts one, it records the pid in
var/redis.pid so `make run` and `make test` stop only what they started.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis

VAR = Path(os.environ.get("LOCKSTEP_VAR_DIR", Path(__file__).resolve().parent.parent / "var"))
URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def answers() -> bool:
    try:
        return bool(redis.Redis.from_url(URL, socket_connect_timeout=0.5, socket_timeout=0.5).ping())
    except (redis.RedisError, OSError):
        return False


def main() -> int:
    if answers():
        return 0
    parts = urlsplit(URL)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"[redis] nothing answers at {URL} and it is not local: start that Redis first", file=sys.stderr)
        return 1
    server = shutil.which("redis-server")
    if server is None:
        print("[redis] no redis-server on PATH: install it (sudo apt-get install -y redis-server)", file=sys.stderr)
        return 1
    VAR.mkdir(parents=True, exist_ok=True)
    port = str(parts.port or 6379)
    subprocess.run(
        [server, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", str(VAR / "redis.pid"), "--logfile", str(VAR / "redis.log")],
        check=True,
    )  # fmt: skip
    for _ in range(50):
        if answers():
            print(f"[redis] started a private redis-server on 127.0.0.1:{port} (pid file var/redis.pid)")
            return 0
        time.sleep(0.1)
    print(f"[redis] redis-server did not answer; see {VAR / 'redis.log'}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
