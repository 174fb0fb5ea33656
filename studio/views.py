"""The authoring studio at /studio/: instructors only (403 for everyone else), one action per URL."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from config.htmx import HtmxHttpRequest
from quizzes.content import ContentError
from quizzes.markdown import render as render_markdown
from quizzes.models import Lesson, PracticeTest, Question, QuestionVersion, Status, Track
from quizzes.templatetags.practice import python_html
from sandbox.services import SandboxError
from studio import builder, selectors, services
from studio.access import (
    can_edit,
    get_lesson_for_author,
    get_practice_test_for_author,
    get_question_for_author,
    instructor_required,
)
from studio.editor import Editor
from studio.forms import ImportForm, LessonForm, PracticeTestForm, PracticeTestSettingsForm
from studio.models import PublishOverride, Verification

DEFAULT_VERIFY_JOBS = 10


def _params(request: HttpRequest) -> dict[str, str]:
    return {key: value.strip() for key, value in request.GET.items() if key != "page"}


def _querystring(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode({k: v for k, v in params.items() if v})


@require_GET
@instructor_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("studio:questions")


@require_GET
@instructor_required
def questions(request: HtmxHttpRequest) -> HttpResponse:
    params = _params(request)
    page, choices = selectors.question_list(params=params, page=request.GET.get("page"))
    context = {
        "page": page,
        "params": params,
        "query": _querystring(params),
        "kinds": Question.Kind.choices,
        "statuses": Status.choices,
        **choices,
    }
    template = "studio/questions.html#results" if request.htmx else "studio/questions.html"
    return render(request, template, context)


# -- the editor -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@instructor_required
def question_new(request: HtmxHttpRequest) -> HttpResponse:
    kind = request.GET.get("kind") or request.POST.get("kind") or Question.Kind.SINGLE
    if kind not in Question.Kind.values:
        raise Http404("No such kind of question")
    editor = Editor(request=request, question=None, kind=kind)
    return editor.respond()


@require_http_methods(["GET", "POST"])
@instructor_required
def question_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    question = get_question_for_author(request, pk)
    editor = Editor(request=request, question=question, kind=question.kind)
    return editor.respond()


@require_POST
@instructor_required
def preview(request: HttpRequest) -> HttpResponse:
    """Live preview of one field, rendered and sanitised exactly as the site shows it."""
    field = request.POST.get("field", "")
    text = request.POST.get(field, "") if field and field != "csrfmiddlewaretoken" else ""
    # Both renderers return sanitised HTML (Pygments escapes code; nh3 cleans Markdown's output).
    html = python_html(text) if request.POST.get("code") else mark_safe(render_markdown(text))  # noqa: S308
    return HttpResponse(format_html('<div class="preview-body prose">{}</div>', html))


@require_GET
@instructor_required
def question_detail(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(
        Question.objects.select_related("lesson__track", "author")
        .prefetch_related("choices")
        .annotate(version_count=Count("versions")),
        pk=pk,
    )
    verification, problem = services.publish_check(question)
    context = {
        "question": question,
        "editable": can_edit(request.user, question.author_id),
        "verification": verification,
        "tally": selectors.verification_tally(verification) if verification else None,
        "publish_problem": problem,
        "overrides": PublishOverride.objects.filter(question=question).select_related("user", "version")[:10],
        "verifications": question.verifications.select_related("requested_by")[:5],
        "jobs": DEFAULT_VERIFY_JOBS,
        "stats": selectors.question_stats(question),
    }
    return render(request, "studio/question_detail.html", context)


@require_POST
@instructor_required
def question_verify(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_question_for_author(request, pk)
    try:
        jobs = int(request.POST.get("jobs", DEFAULT_VERIFY_JOBS))
        verification = services.verification_start(question=question, jobs=jobs, user=request.user)
    except ValueError as error:
        messages.error(
            request, str(error) if isinstance(error, services.StudioError) else "Give a whole number of jobs."
        )
        return redirect("studio:question", pk=question.pk)
    except SandboxError as error:
        messages.error(request, str(error))
        return redirect("studio:question", pk=question.pk)
    return redirect("studio:verification", pk=verification.pk)


@require_GET
@instructor_required
def verification(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    verification = get_object_or_404(
        Verification.objects.select_related("question__lesson__track"), pk=pk, question__kind=Question.Kind.PREDICTION
    )
    tally = services.verification_refresh(verification=verification)
    context = {"verification": verification, "question": verification.question, "tally": tally}
    template = "studio/verification.html#tally" if request.htmx else "studio/verification.html"
    return render(request, template, context)


@require_POST
@instructor_required
def question_publish(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_question_for_author(request, pk)
    try:
        services.question_publish(question=question, user=request.user, override_reason=request.POST.get("reason", ""))
    except services.StudioError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Published: learners see it on the practice page now.")
    return redirect("studio:question", pk=question.pk)


@require_POST
@instructor_required
def question_unpublish(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_question_for_author(request, pk)
    services.question_unpublish(question=question)
    messages.success(request, "Back to draft: learners no longer see it.")
    return redirect("studio:question", pk=question.pk)


@require_GET
@instructor_required
def question_history(request: HttpRequest, pk: int) -> HttpResponse:
    question = get_object_or_404(Question.objects.select_related("lesson__track"), pk=pk)
    versions = (
        question.versions.select_related("created_by").annotate(answer_count=Count("answers")).order_by("-number")
    )
    context = {"question": question, "versions": versions, "editable": can_edit(request.user, question.author_id)}
    return render(request, "studio/history.html", context)


@require_POST
@instructor_required
def question_restore(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    question = get_question_for_author(request, pk)
    version = get_object_or_404(QuestionVersion, question=question, number=number)
    try:
        restored = services.question_version_restore(question=question, version=version, user=request.user)
    except services.StudioError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"Restored version {number} as version {restored.number}.")
    return redirect("studio:question_history", pk=question.pk)


# -- lessons --------------------------------------------------------------------------------


@require_GET
@instructor_required
def lessons(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    page = selectors.lesson_list(params=params, page=request.GET.get("page"))
    tracks = Track.objects.order_by("order")
    context = {
        "page": page,
        "params": params,
        "query": _querystring(params),
        "tracks": tracks,
        "statuses": Status.choices,
    }
    return render(request, "studio/lessons.html", context)


@require_http_methods(["GET", "POST"])
@instructor_required
def lesson_edit(request: HttpRequest, pk: int) -> HttpResponse:
    lesson = get_object_or_404(Lesson.objects.select_related("track"), pk=pk)
    editable = can_edit(request.user, lesson.author_id)
    if request.method == "POST":
        lesson = get_lesson_for_author(request, pk)
        form = LessonForm(request.POST)
        if form.is_valid():
            try:
                services.lesson_update(
                    lesson=lesson,
                    title=form.cleaned_data["title"],
                    summary=form.cleaned_data["summary"],
                    body=form.cleaned_data["body"],
                )
            except services.StudioError as error:
                form.add_error("body", str(error))
            else:
                messages.success(request, "Lesson saved.")
                return redirect("studio:lesson", pk=lesson.pk)
        status = 400
    else:
        form = LessonForm(initial={"title": lesson.title, "summary": lesson.summary, "body": lesson.body_markdown})
        status = 200
    context = {"lesson": lesson, "form": form, "editable": editable, "sections": selectors.lesson_sections(lesson)}
    return render(request, "studio/lesson.html", context, status=status)


# -- practice tests -------------------------------------------------------------------------


@require_GET
@instructor_required
def practice_tests(request: HttpRequest) -> HttpResponse:
    params = _params(request)
    page = selectors.practice_test_list(params=params, page=request.GET.get("page"))
    context = {
        "page": page,
        "params": params,
        "query": _querystring(params),
        "tracks": Track.objects.order_by("order"),
        "statuses": Status.choices,
    }
    return render(request, "studio/practice_tests.html", context)


@require_http_methods(["GET", "POST"])
@instructor_required
def practice_test_new(request: HttpRequest) -> HttpResponse:
    form = PracticeTestForm(request.POST or None)
    track = Track.objects.order_by("order").first()
    if request.method == "POST" and form.is_valid() and track is not None:
        try:
            test = services.practice_test_create(
                track=track,
                slug=form.cleaned_data["slug"],
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                user=request.user,
            )
        except services.StudioError as error:
            form.add_error("slug", str(error))
        else:
            return redirect("studio:practice_test", pk=test.pk)
    return render(request, "studio/practice_test_new.html", {"form": form}, status=400 if form.errors else 200)


@require_POST
@instructor_required
def practice_test_publish(request: HttpRequest, pk: int) -> HttpResponse:
    test = get_practice_test_for_author(request, pk)
    problem = builder.publish_problem(test)
    if problem:
        messages.error(request, problem)
    elif services.practice_test_studio_publish(practice_test=test):
        messages.success(request, "Published and announced to subscribers.")
    else:
        messages.error(request, "It was already published.")
    return redirect("studio:practice_test", pk=test.pk)


# -- import and export ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@instructor_required
def import_bank(request: HttpRequest) -> HttpResponse:
    """Upload, preview what would change, then apply the same file all or nothing."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {"form": form}
    if request.method == "POST":
        apply = request.POST.get("apply") == "1"
        if apply:
            # The previewed file travels back in the form, so what is applied is what was previewed.
            name, text = request.POST.get("name", "upload"), request.POST.get("text", "")
            fmt = request.POST.get("fmt", "yaml")
            lesson = Lesson.objects.filter(pk=request.POST.get("lesson_id") or None).first()
            section = request.POST.get("section", "")
        elif form.is_valid():
            upload = form.cleaned_data["file"]
            name = upload.name
            try:
                text = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                form.add_error("file", "The file is not UTF-8 text.")
                return render(request, "studio/import.html", context, status=400)
            fmt = form.cleaned_data["format"] or services.format_guess(name)
            lesson, section = form.cleaned_data["lesson"], form.cleaned_data["section"]
        else:
            return render(request, "studio/import.html", context, status=400)
        if lesson is not None and not can_edit(request.user, lesson.author_id) and fmt != "yaml":
            raise PermissionDenied("You can import only into your own lessons.")
        try:
            result = services.bank_import(
                fmt=fmt, name=name, text=text, user=request.user, lesson=lesson, section=section, apply=apply
            )
        except ContentError as error:
            context["error"] = error
            return render(request, "studio/import.html", context, status=400)
        if apply:
            messages.success(request, f"Imported: {len(result.created)} created, {len(result.updated)} changed.")
            return redirect("studio:questions")
        context |= {"result": result, "name": name, "text": text, "fmt": fmt, "lesson": lesson, "section": section}
    return render(request, "studio/import.html", context)


@require_GET
@instructor_required
def export_bank(request: HttpRequest) -> HttpResponse:
    from studio.exporting import bank_export

    try:
        filename, content_type, body = bank_export(
            fmt=request.GET.get("format", "yaml"),
            lesson_slug=request.GET.get("lesson", ""),
            tag=request.GET.get("tag", ""),
        )
    except ValueError as error:
        messages.error(request, str(error))
        return redirect(reverse("studio:questions"))
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# -- statistics -----------------------------------------------------------------------------


@require_GET
@instructor_required
def attention(request: HttpRequest) -> HttpResponse:
    sort = request.GET.get("sort", "flags")
    rows = selectors.attention_list(sort=sort)
    return render(request, "studio/attention.html", {"rows": rows, "sort": sort})


# -- the practice-test builder --------------------------------------------------------------


def _builder_context(request: HttpRequest, test: PracticeTest, form: PracticeTestSettingsForm | None = None) -> dict:
    owner = getattr(getattr(test, "studio_author", None), "user_id", None)
    items = list(test.items.select_related("question__lesson").order_by("order"))
    spent = builder.seconds_spent_by_question([item.question_id for item in items])
    for item in items:
        item.seconds = spent.get(item.question_id)
    return {
        "test": test,
        "editable": can_edit(request.user, owner),
        "form": form or PracticeTestSettingsForm(initial=PracticeTestSettingsForm.initial_for(test)),
        "items": items,
        "search": request.GET.get("q", ""),
        "found": builder.question_search(practice_test=test, text=request.GET.get("q", "").strip()),
        "pool": builder.draw_pool(test).count() if test.draw_count else None,
        "publish_problem": builder.publish_problem(test),
        "stats": builder.practice_test_stats(test),
    }


@require_GET
@instructor_required
def practice_test_detail(request: HttpRequest, pk: int) -> HttpResponse:
    test = get_object_or_404(PracticeTest.objects.select_related("track", "studio_author__user"), pk=pk)
    return render(request, "studio/practice_test.html", _builder_context(request, test))


@require_POST
@instructor_required
def practice_test_settings(request: HttpRequest, pk: int) -> HttpResponse:
    test = get_practice_test_for_author(request, pk)
    form = PracticeTestSettingsForm(request.POST)
    if not form.is_valid():
        return render(request, "studio/practice_test.html", _builder_context(request, test, form), status=400)
    builder.practice_test_update(practice_test=test, values=form.cleaned_data)
    messages.success(request, "Settings saved.")
    return redirect("studio:practice_test", pk=test.pk)


@require_POST
@instructor_required
def practice_test_items(request: HttpRequest, pk: int) -> HttpResponse:
    """Add, move or remove one question of a fixed list (one submit button per action)."""
    test = get_practice_test_for_author(request, pk)
    action, _, target = request.POST.get("action", "").partition(":")
    try:
        if action == "add":
            question = get_object_or_404(Question, pk=int(target), lesson__track=test.track)
            builder.practice_test_item_add(practice_test=test, question=question)
        elif action in ("up", "down"):
            builder.practice_test_item_move(practice_test=test, item_id=int(target), step=-1 if action == "up" else 1)
        elif action == "remove":
            builder.practice_test_item_remove(practice_test=test, item_id=int(target))
        else:
            raise builder.BuilderError("Unknown action.")
    except (builder.BuilderError, ValueError) as error:
        messages.error(request, str(error) if isinstance(error, builder.BuilderError) else "Unknown question.")
    url = reverse("studio:practice_test", args=[test.pk])
    return redirect(f"{url}?q={request.POST.get('q', '')}#questions" if request.POST.get("q") else f"{url}#questions")


@require_GET
@instructor_required
def practice_test_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The test as a learner will meet it: its questions in order (or a sample of the draw), nothing recorded."""
    test = get_object_or_404(PracticeTest.objects.select_related("track"), pk=pk)
    if test.draw_count:
        questions = list(builder.draw_pool(test).prefetch_related("choices").order_by("?")[: test.draw_count])
    else:
        questions = [
            item.question for item in test.items.select_related("question").prefetch_related("question__choices")
        ]
    return render(request, "studio/practice_test_preview.html", {"test": test, "questions": questions})
