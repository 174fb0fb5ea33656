from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from quizzes import selectors
from quizzes.models import PracticeTest, Status


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "quizzes/home.html", {"tracks": selectors.tracks_with_lessons()})


@require_GET
def lesson(request: HttpRequest, track_slug: str, lesson_slug: str) -> HttpResponse:
    lesson = selectors.lesson_get(track_slug=track_slug, lesson_slug=lesson_slug)
    return render(request, "quizzes/lesson.html", {"lesson": lesson})


@require_GET
def practice_test(request: HttpRequest, slug: str) -> HttpResponse:
    test = get_object_or_404(PracticeTest.objects.select_related("track"), slug=slug, status=Status.PUBLISHED)
    return render(request, "quizzes/practice_test.html", {"test": test})
