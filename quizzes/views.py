import random
from functools import partial

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.owners import owner_of
from quizzes import selectors, services
from quizzes.models import Answer, Question
from quizzes.pagecache import anonymous_page, content_read


@require_GET
@anonymous_page
def home(request: HttpRequest) -> HttpResponse:
    live = list(selectors.practice_tests_live())
    tracks = selectors.tracks_with_lessons()
    # Grouped here, not in the template: one query for every track's tests.
    live_by_track = [{"track": track, "tests": [t for t in live if t.track_id == track.pk]} for track in tracks]
    return render(request, "quizzes/home.html", {"tracks": tracks, "live_by_track": live_by_track})


@require_GET
@anonymous_page
def lesson(request: HttpRequest, track_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = selectors.lesson_get(track_slug=track_slug, lesson_slug=lesson_slug)
    # Both read only when a cached fragment of the lesson is missing.
    counts = SimpleLazyObject(partial(selectors.section_question_counts, lesson))
    live_tests = SimpleLazyObject(partial(selectors.practice_tests_live, track=lesson.track))
    context = {"lesson": lesson, "section_counts": counts, "live_tests": live_tests}
    return render(request, "quizzes/lesson.html", context)


@require_GET
@anonymous_page
def practice(request: HttpRequest, track_slug: str, lesson_slug: str) -> HttpResponse:
    """The topic page: a lesson's questions by section, with the learner's last verdicts."""
    lesson = selectors.lesson_get(track_slug=track_slug, lesson_slug=lesson_slug)
    sections = selectors.lesson_practice(lesson=lesson, answers=selectors.learner_answers(request))
    total = sum(len(section["questions"]) for section in sections)
    return render(request, "quizzes/practice.html", {"lesson": lesson, "sections": sections, "total": total})


def _get_published_question(slug: str) -> Question:
    question = content_read(f"question:{slug}", partial(_published_question_read, slug))
    if question is None:
        raise Http404("No such question")
    return question


def _published_question_read(slug: str) -> Question | None:
    question = (
        Question.objects.published()
        .select_related("lesson__track")
        .prefetch_related("choices")
        .filter(slug=slug)
        .first()
    )
    if question is not None and question.is_prediction:
        question.prediction_spec  # parsed once, and remembered with the question  # noqa: B018
    return question


def _question_context(question: Question, **extra: object) -> dict[str, object]:
    # Only a final answer shows the next question: a page with the form does not look it up.
    context: dict[str, object] = {
        "question": question,
        "next_question": SimpleLazyObject(partial(selectors.question_next, question)),
        "position": SimpleLazyObject(partial(selectors.question_neighbours, question)),
    }
    # Choice order carries no information: each learner sees their own (stable) order.
    owner = extra.pop("owner", None)
    seed = f"user-{owner.user_id}" if owner and owner.user_id else (owner.anon_key if owner else "")
    context["choices"] = selectors.choices_for_learner(question, seed or str(random.random()))
    # Names the order for the cached form: learners who see the same order share it.
    context["choice_order"] = ",".join(str(choice.pk) for choice in context["choices"])
    if question.is_prediction:
        context["spec"] = question.prediction_spec
    return {**context, **extra}


@require_http_methods(["GET", "POST"])
@anonymous_page
def question(request: HttpRequest, slug: str) -> HttpResponse:
    question = _get_published_question(slug)
    if request.method == "GET":
        # Coming back to an answered question shows the latest answer and its result, with
        # "Answer again" (?again) for a fresh form; the earlier answers stay in the history.
        latest = None
        if "again" not in request.GET and selectors.learner_may_have_answered(request, question):
            latest = selectors.learner_answers(request).filter(question=question).select_related("run").first()
        if latest is not None:
            latest.question = question
            return render(
                request, "quizzes/question.html", _answer_context(services.answer_verdict_write(answer=latest))
            )
        return render(request, "quizzes/question.html", _question_context(question, owner=owner_of(request)))
    confidence = request.POST.get("confidence", Answer.Confidence.THINK)
    if confidence not in Answer.Confidence.values:
        confidence = Answer.Confidence.THINK
    try:
        if question.is_prediction:
            answer = services.answer_submit_prediction(
                question=question,
                prediction=request.POST.get("prediction", ""),
                confidence=confidence,
                owner=owner_of(request, create=True),
            )
        else:
            selected = {int(pk) for pk in request.POST.getlist("choice") if pk.isdigit()}
            answer = services.answer_submit_choices(
                question=question,
                selected=selected,
                confidence=confidence,
                owner=owner_of(request, create=True),
            )
    except services.AnswerError as error:
        context = _question_context(question, error=str(error), posted=request.POST, owner=owner_of(request))
        template = "quizzes/question.html#answer-form" if request.htmx else "quizzes/question.html"
        return render(request, template, context, status=400)
    if request.htmx:
        return render(request, "quizzes/question.html#result", _answer_context(answer))
    return redirect(answer)


def _get_answer_for_learner(request: HttpRequest, pk: int) -> Answer:
    answer = (
        selectors.learner_answers(request)
        .select_related("question__lesson__track", "run")
        .prefetch_related("question__choices")
        .filter(pk=pk)
        .first()
    )
    if answer is None:
        raise Http404("No such answer")
    return answer


def _answer_context(answer: Answer) -> dict[str, object]:
    question = answer.question
    context = _question_context(
        question, answer=answer, selected=set(answer.selected), owner=services.answer_owner(answer)
    )
    if answer.verdict == Answer.Verdict.WRONG:
        # Name the false belief behind a wrong answer: that is what the learner should unlearn.
        context["misconceptions"] = selectors.misconceptions_of(answer)
    if question.is_prediction:
        spec = question.prediction_spec
        context["predicted_bucket"] = spec.bucket(answer.prediction)
        context["measured_bucket"] = spec.bucket(answer.measured_bucket) if answer.measured_bucket else None
        report = answer.run.report_obj if answer.run else None
        if report is not None:
            context["report"] = report
            context["measurement"] = spec.measure(report)
    return context


@require_GET
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    # Only reads: the worker grades the answer when its run finishes.
    answer = _get_answer_for_learner(request, pk)
    if request.htmx:
        return render(request, "quizzes/question.html#result", _answer_context(answer))
    return render(request, "quizzes/question.html", _answer_context(answer))


@require_POST
def answer_remeasure(request: HttpRequest, pk: int) -> HttpResponse:
    """'Run it again' and 'Retry': always a fresh run, the same stored prediction."""
    answer = _get_answer_for_learner(request, pk)
    if not answer.question.is_prediction:
        raise Http404("Only code predictions are measured")
    if answer.attempt_id is not None:
        # A practice test's answer is scored (or past its deadline): a fresh run would re-grade it.
        raise Http404("An answer in a practice test is measured once")
    answer = services.answer_measure(answer=answer, reuse=False)
    if request.htmx:
        return render(request, "quizzes/question.html#result", _answer_context(answer))
    return redirect(answer)
