"""The site's own error pages: what went wrong in words, and a way back (home, track, lesson).

Django's defaults are a bare line of text (DEBUG=0). The 500 page renders without the
database or the request context, since either may be why it is shown.
"""

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token


def _way_back(request: HttpRequest) -> dict[str, object]:
    """The track and lesson a mistyped address was probably aiming at, read from its path."""
    from quizzes.models import Lesson, Track

    parts = [p for p in request.path.split("/") if p]
    slugs = [p for p in parts if p.replace("-", "").isalnum()][:3]
    if not slugs:
        return {}
    try:
        track = Track.objects.filter(slug__in=slugs).first()
        lessons = Lesson.objects.published().select_related("track").filter(slug__in=slugs)
        lesson = lessons.first()
        if track is None and lesson is not None:
            track = lesson.track
    except Exception:  # the database is not needed to say "not found"
        return {}
    return {"near_track": track, "near_lesson": lesson}


def _render(request: HttpRequest, template: str, status: int, **context: object) -> HttpResponse:
    body = loader.render_to_string(template, {**_way_back(request), **context}, request)
    return HttpResponse(body, status=status)


@requires_csrf_token
def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _render(request, "errors/400.html", 400)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _render(request, "errors/403.html", 403)


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _render(request, "errors/404.html", 404)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _render(request, "errors/403_csrf.html", 403)


@requires_csrf_token
def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors, no database: the error may come from either.
    return HttpResponseServerError(loader.get_template("errors/500.html").render({}))
