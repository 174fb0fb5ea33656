"""Who may use the studio: instructors (the "Instructors" group) and staff; everyone else gets 403.

An instructor reads everything in the studio and edits what they authored; staff edit everything.
Each object has one access helper, so no view repeats the rule.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404

from quizzes.models import Lesson, PracticeTest, Question

INSTRUCTORS = "Instructors"


def is_instructor(user: AbstractBaseUser | AnonymousUser) -> bool:
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_staff:
        return True
    cached = getattr(user, "_studio_instructor", None)
    if cached is None:
        cached = user.groups.filter(name=INSTRUCTORS).exists()
        user._studio_instructor = cached  # one query per request, however many checks
    return cached


def instructor_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """403 for strangers and learners alike: the studio is not a page they can log in to reach."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_instructor(request.user):
            raise PermissionDenied("The studio is for instructors.")
        return view(request, *args, **kwargs)

    return wrapper


def can_edit(user: AbstractBaseUser | AnonymousUser, author_id: int | None) -> bool:
    return is_instructor(user) and (user.is_staff or (author_id is not None and author_id == user.pk))


def get_question_for_author(request: HttpRequest, pk: int) -> Question:
    question = get_object_or_404(Question.objects.select_related("lesson__track"), pk=pk)
    if not can_edit(request.user, question.author_id):
        raise PermissionDenied("You can edit only your own questions.")
    return question


def get_lesson_for_author(request: HttpRequest, pk: int) -> Lesson:
    lesson = get_object_or_404(Lesson.objects.select_related("track"), pk=pk)
    if not can_edit(request.user, lesson.author_id):
        raise PermissionDenied("You can edit only your own lessons.")
    return lesson


def get_practice_test_for_author(request: HttpRequest, pk: int) -> PracticeTest:
    test = get_object_or_404(PracticeTest.objects.select_related("track", "studio_author"), pk=pk)
    owner = getattr(getattr(test, "studio_author", None), "user_id", None)
    if not can_edit(request.user, owner):
        raise PermissionDenied("You can edit only your own practice tests.")
    return test
