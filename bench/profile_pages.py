"""Where a page's time goes: queries and the top functions by own time, per page, in-process.

`python bench/profile_pages.py [--repeat 50] [--top 12] [PATH ...]`: prepares the same throwaway
site as bench/load.py (DEBUG=0, content loaded, a test published), then requests each page with
Django's test client as an anonymous visitor and as a signed-in learner, printing the query count,
the mean time per request and the cProfile functions with the most own time.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from load import CHOICE_QUESTION, CODE_QUESTION, LESSON, TEST, TRACK, Site

PAGES = ["/", f"/{TRACK}/{LESSON}/", f"/practice/{TRACK}/{LESSON}/", f"/tests/{TEST}/",
         f"/questions/{CODE_QUESTION}/", f"/questions/{CHOICE_QUESTION}/"]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--sql", action="store_true", help="print each query")
    parser.add_argument("paths", nargs="*", default=PAGES)
    options = parser.parse_args()
    site = Site(Path(__file__).resolve().parent.parent, workers=False)
    try:
        site.prepare()
        os.environ.update(site.env)
        sys.path[:0] = [str(site.dir), str(site.app)]
        import django

        django.setup()
        from django.contrib.auth import get_user_model
        from django.core.handlers.wsgi import WSGIHandler
        from django.db import connection
        from django.test import Client, RequestFactory

        # The WSGI handler as gunicorn calls it: the test client's instrumented rendering
        # (a copy of every template context) would double what is measured.
        handler = WSGIHandler()
        logged_in = Client()
        logged_in.force_login(get_user_model().objects.get(username="bench1"))
        session_cookie = f"sessionid={logged_in.cookies['sessionid'].value}"

        def get(path: str, cookie: str) -> int:
            environ = RequestFactory().get(path, HTTP_COOKIE=cookie, SERVER_NAME="127.0.0.1").environ
            status: list[str] = []
            body = handler(environ, lambda line, headers: status.append(line))
            b"".join(body)
            body.close()
            return int(status[0].split()[0])

        for path in options.paths:
            for who, cookie in (("anonymous", ""), ("signed in", session_cookie)):
                get(path, cookie)  # warm caches and imports
                queries: list[str] = []

                def count(execute, sql, params, many, context, queries=queries):
                    queries.append(sql)
                    return execute(sql, params, many, context)

                with connection.execute_wrapper(count):
                    status = get(path, cookie)
                if options.sql:
                    print(f"-- {path} ({who})", *(f"   {sql[:150]}" for sql in queries), sep="\n")
                started = time.perf_counter()
                for _ in range(options.repeat):
                    get(path, cookie)
                each = (time.perf_counter() - started) / options.repeat * 1000
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(options.repeat):
                    get(path, cookie)
                profile.disable()
                print(f"\n== {path} ({who}): {status}, {len(queries)} queries, {each:.2f} ms per request")
                if options.top:
                    stats = pstats.Stats(profile)
                    stats.sort_stats(os.environ.get("PROFILE_SORT", "tottime"))
                    # PROFILE_RESTRICT=regex keeps the functions whose path matches (say the
                    # project's own code, or django/template) before the top N is taken.
                    restrict = [os.environ["PROFILE_RESTRICT"]] if os.environ.get("PROFILE_RESTRICT") else []
                    stats.print_stats(*restrict, options.top)
                    if os.environ.get("PROFILE_CALLERS"):
                        stats.print_callers(os.environ["PROFILE_CALLERS"])
    finally:
        site.stop()


if __name__ == "__main__":
    main()
