"""Practice tests and mock interviews: the test page, an attempt's questions, finishing, results.

Every attempt URL goes through `_get_attempt` (the owner's attempt or 404). The server keeps the
time: a page or an answer past the deadline closes the attempt and says the time is up.
"""

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.owners import owner_of
from quizzes import selectors, services
from quizzes.models import Answer, Attempt, AttemptQuestion
from quizzes.pagecache import anonymous_page

TIME_IS_UP = "Time is up: the attempt closed at its deadline. Here is how you did."


def _get_attempt(request: HttpRequest, pk: UUID) -> Attempt:
    attempt = selectors.attempt_get_for_owner(owner=owner_of(request), pk=pk)
    if attempt.is_open and timezone.now() >= attempt.deadline:
        # The sweep on the workers closes it too; whoever comes first closes it once.
        services.attempt_finish(attempt=attempt)
        attempt.refresh_from_db()
    return attempt


def _get_item(items: list[AttemptQuestion], position: int) -> AttemptQuestion:
    if not 1 <= position <= len(items):
        raise Http404("No such question in this attempt")
    return items[position - 1]


def _results_redirect(request: HttpRequest, attempt: Attempt) -> HttpResponse:
    if attempt.status == Attempt.Status.EXPIRED:
        messages.warning(request, TIME_IS_UP)
    return redirect("attempt_results", attempt.pk)


@require_GET
@anonymous_page  # a visitor without a session has no attempts: the launch email's crowd shares one page
def practice_test(request: HttpRequest, slug: str) -> HttpResponse:
    test = selectors.practice_test_get(slug=slug)
    attempts = list(selectors.attempts_of(owner=owner_of(request), practice_test=test))
    context = {
        "test": test,
        "question_count": selectors.practice_test_question_count(test),
        "coverage": selectors.practice_test_coverage(test),
        "attempts": attempts,
        "open_attempt": next((a for a in attempts if a.is_open and a.deadline > timezone.now()), None),
    }
    return render(request, "quizzes/practice_test.html", context)


@require_POST
def attempt_start(request: HttpRequest, slug: str) -> HttpResponse:
    test = selectors.practice_test_get(slug=slug)
    owner = owner_of(request, create=True)
    assert owner is not None  # create=True always gives an owner
    try:
        attempt = services.attempt_start(practice_test=test, owner=owner)
    except services.AnswerError as error:
        messages.error(request, str(error))
        return redirect(test)
    return redirect("attempt_question", attempt.pk, 1)


@require_GET
def attempt(request: HttpRequest, pk: UUID) -> HttpResponse:
    """Resume: the first unanswered question of an open attempt, or the results of a closed one."""
    attempt = _get_attempt(request, pk)
    if not attempt.is_open:
        return _results_redirect(request, attempt)
    items = selectors.attempt_items(attempt)
    first_open = next((item.position for item in items if item.answer_id is None), 1)
    return redirect("attempt_question", attempt.pk, first_open)


def _question_context(attempt: Attempt, items: list[AttemptQuestion], item: AttemptQuestion, **extra: object) -> dict:
    question = item.question
    now = timezone.now()
    context: dict[str, object] = {
        "attempt": attempt,
        "test": attempt.practice_test,
        "items": items,
        "item": item,
        "question": question,
        "choices": selectors.ordered_choices(item),
        "answer": item.answer,
        "selected": set(item.answer.selected) if item.answer else set(),
        "previous": items[item.position - 2] if item.position > 1 else None,
        "next": items[item.position] if item.position < len(items) else None,
        "remaining_seconds": max(0, int((attempt.deadline - now).total_seconds())),
        "server_now": now,
        "answered_count": sum(1 for i in items if i.answer_id),
        # Immediate feedback shows the verdict once answered; end mode shows nothing about it.
        "show_feedback": not attempt.is_end_feedback and item.answer is not None,
    }
    if question.is_prediction:
        context["spec"] = question.prediction_spec
    if context["show_feedback"]:
        context.update(_feedback_context(item))
    return {**context, **extra}


def _feedback_context(item: AttemptQuestion) -> dict[str, object]:
    """What the learner sees about one answered question: verdict, belief, measured outcome."""
    answer, question = item.answer, item.question
    context: dict[str, object] = {
        "item": item,
        "answer": answer,
        "question": question,
        "choices": selectors.ordered_choices(item),
        "selected": set(answer.selected) if answer else set(),
        "misconceptions": selectors.misconceptions_of(answer) if answer else [],
    }
    if question.is_prediction:
        context["spec"] = spec = question.prediction_spec
    if question.is_prediction and answer is not None:
        context["predicted_bucket"] = spec.bucket(answer.prediction)
        context["measured_bucket"] = spec.bucket(answer.measured_bucket) if answer.measured_bucket else None
        report = answer.run.report_obj if answer.run else None
        if report is not None and answer.verdict in (Answer.Verdict.CORRECT, Answer.Verdict.WRONG):
            context["report"] = report
            context["measurement"] = spec.measure(report)
    return context


@require_http_methods(["GET", "POST"])
def attempt_question(request: HttpRequest, pk: UUID, position: int) -> HttpResponse:
    attempt = _get_attempt(request, pk)
    items = selectors.attempt_items(attempt)
    item = _get_item(items, position)
    if not attempt.is_open:
        return _results_redirect(request, attempt)
    if request.method == "GET":
        services.attempt_question_show(attempt=attempt, item=item)
        return render(request, "quizzes/attempt_question.html", _question_context(attempt, items, item))
    confidence = request.POST.get("confidence", Answer.Confidence.THINK)
    if confidence not in Answer.Confidence.values:
        confidence = Answer.Confidence.THINK
    try:
        if item.question.is_prediction:
            services.attempt_answer(
                attempt=attempt, item=item, prediction=request.POST.get("prediction", ""), confidence=confidence
            )
        else:
            posted = request.POST.getlist("choice")
            if not all(value.isdigit() for value in posted):
                raise services.AnswerError("That choice is not one of this question's answers.")
            services.attempt_answer(
                attempt=attempt, item=item, selected={int(value) for value in posted}, confidence=confidence
            )
    except services.AttemptClosed as error:
        messages.warning(request, str(error))
        return redirect("attempt_results", attempt.pk)
    except services.AnswerFinal as error:
        messages.warning(request, str(error))
        return redirect("attempt_question", attempt.pk, position)
    except services.AnswerError as error:
        context = _question_context(attempt, items, item, error=str(error), posted=request.POST)
        return render(request, "quizzes/attempt_question.html", context, status=400)
    if attempt.is_end_feedback and request.POST.get("then") == "next":
        following = next((i for i in items if i.position > position), None)
        if following is not None:
            return redirect("attempt_question", attempt.pk, following.position)
        return redirect("attempt_finish", attempt.pk)
    messages.success(request, "Answer saved.")
    return redirect("attempt_question", attempt.pk, position)


@require_POST
def attempt_flag(request: HttpRequest, pk: UUID, position: int) -> HttpResponse:
    attempt = _get_attempt(request, pk)
    item = _get_item(selectors.attempt_items(attempt), position)
    try:
        services.attempt_flag(attempt=attempt, item=item, flagged=request.POST.get("flagged") == "1")
    except services.AttemptClosed as error:
        messages.warning(request, str(error))
        return redirect("attempt_results", attempt.pk)
    return redirect("attempt_question", attempt.pk, position)


@require_http_methods(["GET", "POST"])
def attempt_finish(request: HttpRequest, pk: UUID) -> HttpResponse:
    """GET asks for confirmation, listing unanswered and flagged questions; POST finishes."""
    attempt = _get_attempt(request, pk)
    if not attempt.is_open:
        return _results_redirect(request, attempt)
    if request.method == "POST":
        attempt = services.attempt_finish(attempt=attempt)
        return _results_redirect(request, attempt)
    items = selectors.attempt_items(attempt)
    context = {
        "attempt": attempt,
        "test": attempt.practice_test,
        "items": items,
        "unanswered": [item for item in items if item.answer_id is None],
        "flagged": [item for item in items if item.flagged],
        "remaining_seconds": max(0, int((attempt.deadline - timezone.now()).total_seconds())),
        "server_now": timezone.now(),
    }
    return render(request, "quizzes/attempt_finish.html", context)


@require_GET
def attempt_results(request: HttpRequest, pk: UUID) -> HttpResponse:
    attempt = _get_attempt(request, pk)
    if attempt.is_open:
        return redirect("attempt_question", attempt.pk, 1)
    if request.htmx:
        # The live-progress poll: one count while runs finish (a crowd polls this every second),
        # then a reload into the complete page once the worker has graded the attempt.
        pending = selectors.attempt_pending_count(attempt)
        if pending or attempt.graded_at is None:
            context = {"attempt": attempt, "pending": pending}
            return render(request, "quizzes/attempt_results.html#progress", context)
        response = HttpResponse()
        response["HX-Refresh"] = "true"
        return response
    items = selectors.attempt_items(attempt)
    rows = [_feedback_context(item) for item in items]
    # Could not be measured or stayed inconclusive: left out of the score, as attempt_grade does.
    unscored = sum(1 for item in items if item.answer and item.answer.verdict in services.UNSCORED)
    context = {
        "attempt": attempt,
        "test": attempt.practice_test,
        "rows": rows,
        "pending": sum(1 for item in items if item.answer and item.answer.is_waiting),
        "right": sum(1 for item in items if item.answer and item.answer.verdict == Answer.Verdict.CORRECT),
        "unscored": unscored,
        "scored": len(rows) - unscored,
        "retake_url": reverse("attempt_start", args=[attempt.practice_test.slug]),
    }
    return render(request, "quizzes/attempt_results.html", context)
