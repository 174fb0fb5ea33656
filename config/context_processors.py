"""Template context for every page."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from quizzes.pagecache import request_csrf_token


def csrf(request: HttpRequest) -> dict[str, object]:
    """`csrf_token` masked once per request, not once per form (replaces Django's built-in one,
    which runs first: later processors win)."""
    return {"csrf_token": SimpleLazyObject(lambda: request_csrf_token(request))}
