"""Refuse an oversized request body before anything reads it, with a message that says why.

Django's DATA_UPLOAD_MAX_MEMORY_SIZE does not count file uploads, and its refusal is a bare
400; one limit on Content-Length covers forms, snippets and uploads alike (MAX_REQUEST_BYTES).
"""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import format_html

PAGE = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Too large · Lockstep</title></head>'
    "<body><main><h1>That request was too large</h1><p>Lockstep accepts at most {} KB in one request "
    '(a form, a snippet or an upload). Send something smaller.</p><p><a href="/">Lockstep home</a></p>'
    "</main></body></html>"
)


class RequestSizeLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length", status=400, content_type="text/plain")
        if length > settings.MAX_REQUEST_BYTES:
            # 413: htmx and scripts can tell it apart from a validation error.
            response = HttpResponse(format_html(PAGE, settings.MAX_REQUEST_BYTES // 1024), status=413)
            response["Connection"] = "close"  # the unread body is not worth reading to keep the connection
            return response
        return self.get_response(request)
