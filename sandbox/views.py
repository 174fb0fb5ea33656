"""The playground: edit a snippet (or two, to compare), run it in the sandbox, watch the result.

Nothing here waits for code to run: a POST creates a queued Run and returns at once; the page
then polls the run (htmx every second, or a <meta refresh> without JavaScript).
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import push_url

from accounts.owners import owner_of
from config.htmx import HtmxHttpRequest
from config.ratelimit import rate_limit_allows
from sandbox.examples import BY_SLUG, DEFAULT, EXAMPLES
from sandbox.forms import PLAYGROUND_MAX_REPEAT, PlaygroundForm, initial_from_variants
from sandbox.heartbeat import measuring_hosts
from sandbox.models import Run, SharedRun
from sandbox.services import SandboxError, run_enqueue, run_share, run_unshare

logger = logging.getLogger(__name__)
RATE_WINDOW_SECONDS = 60
# Anonymous runs from one address may add up to this many learners' worth of the limit.
ANONYMOUS_LEARNERS_PER_ADDRESS = 3


def _get_run_for_viewer(request: HttpRequest, run_id: uuid.UUID) -> Run:
    """The run if this visitor started it; 404 for anyone else (not even its existence leaks)."""
    owner = owner_of(request)
    run = Run.objects.filter(owner.q(), pk=run_id).first() if owner else None
    if run is None:
        raise Http404("No such run")
    return run


def _over_limit(who: str, limit: int) -> bool:
    return not rate_limit_allows(scope="playground-runs", ident=who, limit=limit, window=RATE_WINDOW_SECONDS)


def _rate_limited(request: HttpRequest) -> bool:
    """True when this learner (or anonymous session) started too many runs this minute.

    A session costs nothing to replace (a client that drops its cookie gets a new one), so
    anonymous runs also count against the client's address, with room for a few anonymous
    learners behind one NAT (a classroom) before it says no.
    """
    limit = settings.PLAYGROUND_RUNS_PER_MINUTE
    owner = owner_of(request, create=True)
    try:
        if not owner.is_anonymous:
            return _over_limit(f"user:{owner.user_id}", limit)
        address = request.META.get("REMOTE_ADDR", "")
        # Both count every try: a new session does not reset the address's count.
        over_session = _over_limit(f"session:{owner.anon_key}", limit)
        over_address = _over_limit(f"ip:{address}", limit * ANONYMOUS_LEARNERS_PER_ADDRESS)
        return over_session or over_address
    except Exception:  # cache (Redis) down: run_enqueue will say the runner is unavailable
        logger.warning("rate limit cache unavailable", exc_info=True)
        return False


def _measuring_hosts() -> list[dict] | None:
    """The workers that can measure, from their heartbeats; None when Redis cannot say."""
    try:
        return measuring_hosts()
    except Exception:  # Redis down: the page still works, without the line
        logger.warning("worker heartbeats unavailable", exc_info=True)
        return None


def _initial_from_query(request: HttpRequest) -> tuple[dict, str]:
    example = BY_SLUG.get(request.GET.get("example", ""))
    names, sources = request.GET.getlist("variant"), request.GET.getlist("source")
    try:
        repeat = int(request.GET.get("repeat", 3))
    except ValueError:
        repeat = 3
    if sources and example is None:
        named = zip(names + [f"v{i}" for i in range(len(names), len(sources))], sources, strict=False)
        return initial_from_variants(named, repeat), ""
    example = example or DEFAULT
    return initial_from_variants(example.variants, repeat), example.slug


def _page(
    request: HtmxHttpRequest,
    form: PlaygroundForm | None,
    *,
    run: Run | None = None,
    example: str = "",
    error: str = "",
    status: int = 200,
    partial: str = "",
) -> HttpResponse:
    context = {
        "form": form,
        "examples": EXAMPLES,
        "example": example,
        "run": run,
        "report": run.report_obj if run else None,
        "error": error,
        "rate_limit": settings.PLAYGROUND_RUNS_PER_MINUTE,
        # Only the owner reaches _page with a run: the share controls are theirs.
        "share": SharedRun.objects.filter(run=run).first() if run else None,
        "is_owner": run is not None,
        # Not on the progress polls: they swap only the result.
        "measuring": None if partial == "result" else _measuring_hosts(),
    }
    template = "sandbox/playground.html" + (f"#{partial}" if partial else "")
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def playground(request: HtmxHttpRequest) -> HttpResponse:
    """Show the playground, or run what was posted.

    Opening it from another page ("Open in playground"), three ways:
    - `GET /playground/?example=<slug>`: one of `sandbox.examples` (`cpu-threads`, ...);
    - `GET /playground/?variant=<name>&source=<code>` once or twice (a comparison), optionally
      `&repeat=N`: for short snippets, since servers cap URL length (gunicorn: 4 KB);
    - `POST /playground/` with `intent=open` and the form's fields (`name_1`, `source_1`,
      `name_2`, `source_2`, `repeat`) and a CSRF token: fills the form without running.
    Any other POST runs the code: one variant goes to the `runs` queue, two (a comparison of
    timings) to the `timing` queue. Without JavaScript the POST redirects to the run's page.
    """
    if request.method == "GET":
        initial, example = _initial_from_query(request)
        return _page(request, PlaygroundForm(initial=initial), example=example)

    form = PlaygroundForm(request.POST)
    partial = "workbench" if request.htmx else ""
    if request.POST.get("intent") == "open":
        form = PlaygroundForm(initial={k: request.POST.get(k, "") for k in form.fields})
        return _page(request, form)
    if not form.is_valid():
        return _page(request, form, status=200 if request.htmx else 400, partial=partial)
    if _rate_limited(request):
        error = (
            f"You started {settings.PLAYGROUND_RUNS_PER_MINUTE} runs in the last minute, the most "
            "allowed. Wait a little, then run again; your code is still here."
        )
        return _page(request, form, error=error, status=200 if request.htmx else 429, partial=partial)
    job = form.job()
    try:
        run = run_enqueue(
            job=job,
            # Two variants are a comparison of their timings.
            timing=len(job.variants) > 1,
            max_repeat=PLAYGROUND_MAX_REPEAT,
            owner=owner_of(request, create=True),
        )
    except SandboxError as error:
        return _page(request, form, error=str(error), status=200 if request.htmx else 503, partial=partial)
    url = reverse("playground_run", args=[run.pk])
    if not request.htmx:
        return redirect(url)
    return push_url(_page(request, form, run=run, partial=partial), url)


@require_GET
def playground_run(request: HtmxHttpRequest, run_id: uuid.UUID) -> HttpResponse:
    """A run's page: its progress while it runs, then its result; htmx polls `#result`."""
    run = _get_run_for_viewer(request, run_id)
    if request.htmx and not request.htmx.history_restore_request:
        return _page(request, None, run=run, partial="result")
    job = run.job_obj
    initial = initial_from_variants(((v.name, v.source) for v in job.variants), job.repeat)
    return _page(request, PlaygroundForm(initial=initial), run=run)


@require_POST
def playground_run_share(request: HtmxHttpRequest, run_id: uuid.UUID) -> HttpResponse:
    """The owner makes (or, with `revoke`, withdraws) a read-only link to the run."""
    run = _get_run_for_viewer(request, run_id)
    if request.POST.get("revoke"):
        run_unshare(run=run)
    else:
        run_share(run=run)
    if request.htmx:
        return _page(request, None, run=run, partial="result")
    return redirect("playground_run", run_id=run.pk)


@require_GET
def playground_shared(request: HttpRequest, token: str) -> HttpResponse:
    """A shared run, read-only: code, report and charts, for anyone who has the link."""
    shared = SharedRun.objects.select_related("run").filter(token=token).first()
    if shared is None:
        raise Http404("This link was never shared or its owner stopped sharing it")
    run = shared.run
    context = {
        "run": run,
        "report": run.report_obj,
        "shared": shared,
        "variants": run.job_obj.variants,
    }
    if getattr(request, "htmx", False) and not request.htmx.history_restore_request:
        return render(request, "sandbox/shared_run.html#shared-result", context)
    return render(request, "sandbox/shared_run.html", context)
