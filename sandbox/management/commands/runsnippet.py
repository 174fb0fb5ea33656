"""`manage.py runsnippet a.py b.py --repeat 3`: run files as variants of one job, print the report.

Exit status 0 when the job was executed (whatever the snippet did); non-zero with a message
when it could not be: unreadable file, rejected job, sandbox unavailable, broker down, or no
worker finished it in time with --via-celery.
"""

import json
import re
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from sandbox.engine import Job, Report, Status, run_job
from sandbox.jobs import engine_config, job_build, job_limits, job_problem
from sandbox.models import Run


def variant_name(path: Path) -> str:
    return re.sub(r"[^a-z0-9_-]", "_", path.stem.lower())[:32] or "main"


class Command(BaseCommand):
    help = "Run Python files in the sandbox as variants of one job and print the report."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="each file is a variant named by its stem")
        parser.add_argument("--repeat", type=int, default=1, help="repetitions of each variant")
        parser.add_argument("--timeout", type=float, help="wall-clock limit per repetition, seconds")
        parser.add_argument("--json", action="store_true", help="print the report as JSON")
        parser.add_argument(
            "--via-celery",
            action="store_true",
            help="enqueue it for a worker instead of running here",
        )
        parser.add_argument("--queue", choices=[q.value for q in Run.Queue], help="with --via-celery")
        parser.add_argument("--wait", type=float, help="with --via-celery: seconds to wait for a worker")

    def handle(self, *args, **options) -> None:
        job = self._job(options)
        problem = job_problem(job)
        if problem:
            raise CommandError(f"Rejected: {problem}")
        report = self._via_celery(job, options) if options["via_celery"] else self._here(job)
        if report.status in (Status.REJECTED, Status.INFRA_ERROR):
            raise CommandError(f"Not executed ({report.status}): {report.message}")
        if options["json"]:
            self.stdout.write(json.dumps(report.to_dict(), indent=2))
        else:
            self._print(report)

    def _job(self, options: dict[str, Any]) -> Job:
        variants = []
        for path in options["files"]:
            try:
                source = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise CommandError(f"Cannot read {path}: {error}") from None
            variants.append((variant_name(path), source))
        limits = job_limits(wall_seconds=options["timeout"])
        return job_build(variants=variants, repeat=options["repeat"], limits=limits)

    def _here(self, job: Job) -> Report:
        return run_job(job, slot=settings.SANDBOX_SLOT_BASE, config=engine_config())

    def _via_celery(self, job: Job, options: dict[str, Any]) -> Report:
        from sandbox.services import SandboxError, run_enqueue

        # Without --queue, the playground's rule: two or more variants compare timings.
        timing = options["queue"] == Run.Queue.TIMING if options["queue"] else len(job.variants) > 1
        try:
            run = run_enqueue(job=job, timing=timing)
        except SandboxError as error:
            raise CommandError(str(error)) from None
        wait = options["wait"] if options["wait"] is not None else run.time_limits()[1]
        deadline = time.monotonic() + wait
        while not run.is_done:
            if time.monotonic() > deadline:
                where = f"position {run.position} in the {run.queue} queue" if run.position else run.status
                raise CommandError(
                    f"No worker finished run {run.pk} within {wait:g} s (it is {where}). "
                    f"Is a worker consuming the '{run.queue}' queue? (`make run` starts one.)"
                )
            time.sleep(0.1)
            run.refresh_from_db()
        if run.report_obj is None:
            raise CommandError(f"Run {run.pk} ended in error: {run.error}")
        return run.report_obj

    def _print(self, report: Report) -> None:
        write = self.stdout.write
        write(f"Status: {report.status} - {report.message}")
        if report.environment:
            env = report.environment
            gil = "on" if env.gil_enabled else "off"
            write(
                f"Python: {env.implementation} {env.version}, {env.cores} cores, GIL {gil}, isolation {env.isolation}"
            )
        if report.noise and report.noise.noisy:
            write(f"Note: the machine was busy ({report.noise.other_cpu_seconds:g} s CPU of others).")
        write("")
        header = ("variant", "runs", "ok", "median s", "min s", "max s", "cpu s")
        write("{:<20} {:>5} {:>4} {:>10} {:>10} {:>10} {:>8}".format(*header))
        for v in report.variants:
            write(
                f"{v.name:<20} {v.runs:>5} {v.ok_runs:>4} {v.median_wall:>10.4f} "
                f"{v.min_wall:>10.4f} {v.max_wall:>10.4f} {v.median_cpu:>8.3f}"
            )
        if len(report.variants) >= 2 and report.variants[0].median_wall > 0:
            first = report.variants[0]
            for other in report.variants[1:]:
                write(f"{other.name} / {first.name}: {other.median_wall / first.median_wall:.2f}x")
        for rep in report.repetitions:
            if rep.index != 0:
                continue
            detail = f" - {rep.detail}" if rep.detail else ""
            write(f"\n--- {rep.variant} (run 1): {rep.status}{detail}")
            if rep.stdout:
                write(rep.stdout.rstrip("\n"))
            if rep.stderr:
                write("[stderr]")
                write(rep.stderr.rstrip("\n"))
