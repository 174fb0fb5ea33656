"""The playground pages: the form, running, polling, the result, who may see a run."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from config.ratelimit import rate_limit_key
from sandbox.engine import Environment, Noise, Repetition, Report, Status, VariantSummary
from sandbox.models import Run
from sandbox.tests.helpers import job_of, wait_done
from sandbox.tests.test_run_services import _DeadBroker

pytestmark = pytest.mark.django_db(transaction=True)
HTMX = {"HX-Request": "true"}


def post_data(source="print('hello')", **extra):
    return {"name_1": "main", "source_1": source, "repeat": "1", **extra}


def finished_run(*, owner=None, session_key="", stdout="hi\n", variants=("a",)) -> Run:
    job = job_of(*["print(1)"] * len(variants))
    repetitions = [
        Repetition(
            variant=name,
            index=i,
            status=Status.OK,
            exit_code=0,
            signal=None,
            wall_seconds=0.1 * (n + 1) + 0.01 * i,
            user_seconds=0.05,
            system_seconds=0.01,
            peak_memory_bytes=None,
            stdout=stdout,
            stderr="",
            stdout_truncated=False,
            stderr_truncated=False,
        )
        for i in range(2)
        for n, name in enumerate(variants)
    ]
    report = Report(
        status=Status.OK,
        message=Status.OK.message,
        environment=Environment("cpython", "3.11.2", 2, True, "Linux", "bwrap+seccomp"),
        repetitions=repetitions,
        variants=[VariantSummary.of(name, repetitions) for name in variants],
        noise=Noise(0.0, False),
    )
    return Run.objects.create(
        user=owner,
        session_key=session_key,
        queue="runs",
        job=job.to_dict(),
        fingerprint=job.fingerprint(),
        status=Run.Status.FINISHED,
        report=report.to_dict(),
        finished_at=timezone.now(),
        repetitions_total=len(repetitions),
        repetitions_done=len(repetitions),
    )


def test_it_shows_the_form_prefilled_with_the_lessons_first_example(client):
    response = client.get("/playground/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "CPU-bound crunch: 1 thread vs 2 threads" in body
    assert 'name="source_1"' in body
    assert "total += 1" in body
    assert 'href="/playground/?example=lock-race"' in body


def test_an_example_is_selected_by_its_slug(client):
    body = client.get("/playground/?example=lock-race").content.decode()

    assert 'value="no_lock"' in body
    assert 'value="with_lock"' in body


def test_another_page_can_open_variants_in_the_playground(client):
    query = "variant=threads&source=print(%22t%22)&variant=procs&source=print(%22p%22)&repeat=5"
    body = client.get(f"/playground/?{query}").content.decode()

    assert 'value="threads"' in body
    assert "print(&quot;t&quot;)" in body
    assert 'value="procs"' in body
    assert 'value="5"' in body


def test_a_post_with_intent_open_fills_the_form_without_running(client):
    response = client.post("/playground/", post_data("print('long')", intent="open"))

    assert response.status_code == 200
    assert "print(&#x27;long&#x27;)" in response.content.decode()
    assert not Run.objects.exists()


def test_a_valid_post_without_javascript_redirects_to_the_run_page(client, celery_workers):
    response = client.post("/playground/", post_data("print('<b>hi</b>')"))

    run = Run.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/playground/runs/{run.pk}/"
    assert run.queue == "runs"
    assert run.job["repeat"] == 1
    page = client.get(response["Location"]).content.decode()
    if not Run.objects.get().is_done:
        assert '<meta http-equiv="refresh" content="2">' in page
    wait_done(run)
    page = client.get(response["Location"]).content.decode()
    assert "http-equiv" not in page
    assert "&lt;b&gt;hi&lt;/b&gt;" in page
    assert "<b>hi</b>" not in page


def test_a_comparison_posted_with_htmx_goes_to_the_timing_queue_and_starts_polling(client, celery_workers):
    data = post_data(name_2="other", source_2="print(2)", repeat="2")

    response = client.post("/playground/", data, headers=HTMX)

    run = Run.objects.get()
    body = response.content.decode()
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"/playground/runs/{run.pk}/"
    assert run.queue == "timing"
    assert run.repetitions_total == 4
    assert 'id="workbench"' in body
    assert "<html" not in body
    assert f'hx-get="/playground/runs/{run.pk}/"' in body
    assert "print(2)" in body  # the form keeps the code
    wait_done(run)


def test_code_over_the_size_limit_is_refused_with_the_code_kept(client):
    source = "x = 1  # typed by hand\n" * 1000

    response = client.post("/playground/", post_data(source))

    body = response.content.decode()
    assert response.status_code == 400
    assert "the limit is 20,000 bytes" in body
    assert "x = 1  # typed by hand" in body
    assert not Run.objects.exists()


def test_too_many_runs_a_minute_are_refused_with_the_code_kept(client, learner, settings):
    settings.PLAYGROUND_RUNS_PER_MINUTE = 3
    client.force_login(learner)
    key = rate_limit_key("playground-runs", f"user:{learner.pk}")
    cache.set(key, 3, timeout=60)
    try:
        response = client.post("/playground/", post_data("print('mine')"), headers=HTMX)
    finally:
        cache.delete(key)

    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx answers
    assert "You started 3 runs in the last minute" in body
    assert "print(&#x27;mine&#x27;)" in body
    assert not Run.objects.exists()


def test_anonymous_runs_are_limited_per_address_not_only_per_session(client, settings):
    # Dropping the session cookie gives a new session: that must not reset the limit.
    settings.PLAYGROUND_RUNS_PER_MINUTE = 2
    address = "203.0.113.7"
    key = rate_limit_key("playground-runs", f"ip:{address}")
    cache.set(key, 2 * 3, timeout=60)  # three anonymous learners' worth already used
    try:
        response = client.post("/playground/", post_data("print('fresh session')"), REMOTE_ADDR=address)
    finally:
        cache.delete(key)

    assert response.status_code == 429
    assert "You started 2 runs in the last minute" in response.content.decode()
    assert not Run.objects.exists()


def test_redis_down_at_submit_shows_a_message_and_keeps_the_code(client):
    with _DeadBroker():
        response = client.post("/playground/", post_data("print('kept')"))

    body = response.content.decode()
    assert response.status_code == 503
    assert "The code runner is unavailable right now" in body
    assert "print(&#x27;kept&#x27;)" in body
    assert not Run.objects.exists()


def test_the_status_poll_answers_with_the_result_partial_only(client, learner):
    client.force_login(learner)
    job = job_of("print(1)")
    queued = Run.objects.create(user=learner, queue="runs", job=job.to_dict(), fingerprint="x")

    body = client.get(f"/playground/runs/{queued.pk}/", headers=HTMX).content.decode()

    assert body.lstrip().startswith('<section id="result"')
    assert "Queued — number 1 in line" in body
    assert 'hx-trigger="load delay:1s"' in body

    Run.objects.filter(pk=queued.pk).update(status="running", repetitions_done=1, repetitions_total=3)
    body = client.get(f"/playground/runs/{queued.pk}/", headers=HTMX).content.decode()
    assert "Running — 1 of 3 repetitions done" in body

    Run.objects.filter(pk=queued.pk).update(status="error", error="The worker stopped twice.")
    body = client.get(f"/playground/runs/{queued.pk}/", headers=HTMX).content.decode()
    assert "The worker stopped twice." in body
    assert "hx-trigger" not in body


def test_the_result_shows_output_as_text_timings_chart_and_environment(client, learner):
    client.force_login(learner)
    run = finished_run(owner=learner, stdout="<script>alert(1)</script>\n", variants=("seq", "thr"))

    body = client.get(f"/playground/runs/{run.pk}/").content.decode()

    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "CPython 3.11.2 · 2 cores · GIL on · isolation: bwrap+seccomp" in body
    assert '<svg class="chart"' in body
    assert "Median wall time per variant" in body
    assert "Wall time of each repetition" in body
    assert "<strong>thr</strong> took <strong>1.95\u00d7</strong>" in body  # the median ratio
    assert '<td class="num">2 / 2</td>' in body
    assert "hx-trigger" not in body
    assert "http-equiv" not in body


def test_a_stranger_gets_404_for_someone_elses_run(client, learner, stranger):
    run = finished_run(owner=learner)

    client.force_login(stranger)
    assert client.get(f"/playground/runs/{run.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/playground/runs/{run.pk}/").status_code == 404
    client.force_login(learner)
    assert client.get(f"/playground/runs/{run.pk}/").status_code == 200


def test_an_anonymous_run_belongs_to_its_session_only(client, django_user_model):
    client.get("/playground/")
    session = client.session
    session.save()
    run = finished_run(session_key=session.session_key)

    assert client.get(f"/playground/runs/{run.pk}/").status_code == 200
    other = type(client)()
    assert other.get(f"/playground/runs/{run.pk}/").status_code == 404


def test_the_playground_names_the_workers_that_can_measure(client, celery_workers):
    import time

    deadline = time.monotonic() + 30
    while celery_workers.name("runs") not in (page := client.get("/playground/").text) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "Measured on: " in page
    assert celery_workers.name("runs") in page
    assert celery_workers.name("mail") not in page
