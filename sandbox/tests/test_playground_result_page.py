"""The playground's result leads with what happened, and warns of a busy machine only when timings decide."""

import os

import pytest
from django.utils import timezone

from sandbox.engine import Job, Limits, Variant, run_job
from sandbox.models import Run

pytestmark = pytest.mark.django_db

SLOT = int(os.environ.get("TEST_SANDBOX_SLOT_BASE", "0")) + 15
LIMITS = Limits(wall_seconds=2.0, cpu_seconds=4.0, memory_bytes=128 * 1024 * 1024, processes=64)


def real_run(client, *sources: str, noisy: bool = False) -> Run:
    """A run of these snippets measured by the real sandbox, owned by the client's session."""
    job = Job(variants=tuple(Variant(f"v{i}", s) for i, s in enumerate(sources)), repeat=1, limits=LIMITS)
    report = run_job(job, slot=SLOT).to_dict()
    report["noise"]["noisy"] = noisy
    session = client.session
    session.save()
    return Run.objects.create(
        session_key=session.session_key,
        job=job.to_dict(),
        fingerprint=job.fingerprint(),
        status=Run.Status.FINISHED,
        report=report,
        finished_at=timezone.now(),
    )


def test_a_syntax_error_leads_with_its_line_and_hides_the_charts(client):
    run = real_run(client, "x = 1\ny = 2\nif x\n    print(y)\n")

    page = client.get(f"/playground/runs/{run.pk}/").text

    assert "SyntaxError on line 3: expected &#x27;:&#x27;" in page
    assert '<span class="hll">' in page  # the snippet's line 3, highlighted beside the traceback
    assert "exited with status 1" not in page.lower()
    assert "<svg" not in page
    assert 'class="timings"' not in page


def test_an_exception_names_the_function(client):
    run = real_run(client, "def crunch():\n    return 1 / 0\n\ncrunch()\n")

    page = client.get(f"/playground/runs/{run.pk}/").text

    assert "ZeroDivisionError in crunch(), line 2: division by zero" in page


def test_a_busy_machine_is_not_mentioned_for_a_single_snippet(client):
    run = real_run(client, "print('hi')\n", noisy=True)

    page = client.get(f"/playground/runs/{run.pk}/").text

    assert "busy" not in page.lower()
    assert "while it was measuring" not in page


def test_a_busy_machine_is_explained_for_a_comparison(client):
    run = real_run(client, "print('a')\n", "print('b')\n", noisy=True)

    page = client.get(f"/playground/runs/{run.pk}/").text

    assert "while it was measuring" in page
    assert "the comparison between variants may be off" in page
