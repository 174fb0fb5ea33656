"""Rendered content from the cache, keyed by the content version: whole pages for anonymous readers.

A launch email sends a crowd of visitors without a session to the same few pages. Every such
visitor sees the same HTML except the CSRF token, so the page is rendered once per content
version, stored with a placeholder where the token was, and served with this visitor's own
token (which lives in the CSRF cookie, never in a session): no query, no session, no write.

The content version is a random token in the cache, replaced whenever lessons, questions or
practice tests change (loadcontent, publishing, the admin; see `content_version_bump`). A
missing version (Redis restarted, key evicted) is never taken for an old one. When the cache
is unreachable, pages are rendered as if nothing were cached.
"""

from __future__ import annotations

import logging
import pickle
import re
import time
import uuid
from collections.abc import Callable
from functools import wraps
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import _unmask_cipher_token, get_token
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)

VERSION_KEY = "content-version"
# Lapsing now and then costs one render per page; a version that never lapsed would pile up keys.
VERSION_SECONDS = 24 * 3600
# A safety net only: every content change already replaces the version.
PAGE_SECONDS = 600
_PLACEHOLDER = "\x00csrf-token\x00"
_MASKED_TOKEN = re.compile(r"\b[A-Za-z0-9]{64}\b")
# The messages framework's cookie: a pending "you are subscribed" belongs to one visitor.
_MESSAGES_COOKIE = "messages"

VERSION_MEMO_SECONDS = 1.0
_version_memo: tuple[str, float] = ("", 0.0)

View = Callable[..., HttpResponse]
T = TypeVar("T")
# The pages this process served last, so a hit costs one small read (the version) from Redis
# instead of fetching and unpickling the page each time; checked against the version first.
_LOCAL: dict[str, tuple[tuple[str, str, str], float]] = {}
_LOCAL_MAX = 256


def content_version() -> str:
    """The current content version, made when missing; "" when the cache is unreachable.

    Read from Redis at most once a second per process: a page then costs no cache round trip
    for the version, and another process's change shows here within a second.
    """
    global _version_memo
    version, fetched = _version_memo
    if fetched and time.monotonic() - fetched < VERSION_MEMO_SECONDS:
        return version
    try:
        version = cache.get(VERSION_KEY)
        if version is None:
            cache.add(VERSION_KEY, uuid.uuid4().hex, VERSION_SECONDS)
            version = cache.get(VERSION_KEY)
    except Exception:  # Redis down: nothing is cached, every page is rendered
        logger.warning("content version unavailable", exc_info=True)
        version = ""
    _version_memo = (version or "", time.monotonic())
    return version or ""


def content_version_bump() -> None:
    """Forget every cached page and fragment: call after content changed (after commit)."""
    global _version_memo
    version = uuid.uuid4().hex
    try:
        cache.set(VERSION_KEY, version, VERSION_SECONDS)
    except Exception:
        # Cached pages then live at most PAGE_SECONDS; deleting would fail the same way.
        logger.warning("could not replace the content version", exc_info=True)
        version = ""
    _version_memo = (version, time.monotonic())


def content_changed() -> None:
    """Content rows were written: forget cached pages now and again once the write commits.

    Now, for readers inside this transaction; after commit too, since a reader in between may
    have cached the rows as they were before it. Writes that send no post_save (a queryset's
    `update()`) call this themselves.
    """
    from django.db import transaction

    content_version_bump()
    transaction.on_commit(content_version_bump)


def pagecache_reset() -> None:
    """Forget what this process remembers (the version, pages, content reads): for tests that swap caches."""
    global _version_memo
    _version_memo = ("", 0.0)
    _LOCAL.clear()
    _READS.clear()
    _FRAGMENTS.clear()


# Published content read from the database once per content version and process. Kept pickled:
# each request unpickles its own objects, so one view annotating them (a question's number, a
# learner's verdict) never shows in another's page.
_READS: dict[tuple[str, str], bytes] = {}
_READS_MAX = 1024
# Fragments by their key, which starts with the content version: a new version misses them all.
_FRAGMENTS: dict[str, str] = {}
_FRAGMENTS_MAX = 1024


def content_read(name: str, read: Callable[[], T]) -> T:
    """`read()` (a query of published content, nothing per learner) remembered for the content version.

    `name` must say everything the read depends on (the slug it looks up, say). When the cache
    is unreachable there is no version to key by, and every call reads.
    """
    version = content_version()
    if not version:
        return read()
    key = (version, name)
    data = _READS.get(key)
    if data is not None:
        return pickle.loads(data)  # noqa: S301 - pickled by this process from its own query
    value = read()
    if len(_READS) >= _READS_MAX:
        _READS.clear()  # old versions' reads go with it; the current ones are read again
    _READS[key] = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
    return value


def _is_anonymous_reader(request: HttpRequest) -> bool:
    return (
        request.method in ("GET", "HEAD")
        and not request.GET
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and _MESSAGES_COOKIE not in request.COOKIES
        and "HX-Request" not in request.headers
    )


def html_for_cache(html: str, request: HttpRequest) -> str:
    """Rendered HTML made shareable: this request's CSRF tokens replaced by a placeholder."""
    return _without_tokens(html, request.META.get("CSRF_COOKIE"))


def html_from_cache(html: str, request: HttpRequest) -> str:
    """Cached HTML for this request: the placeholder replaced by a token of its own.

    One masked token per request, however many cached parts a page is drawn from: masking one
    costs 32 reads of the system's random source.
    """
    if _PLACEHOLDER not in html:
        return html
    return html.replace(_PLACEHOLDER, request_csrf_token(request))


def request_csrf_token(request: HttpRequest) -> str:
    """This request's masked CSRF token, masked once (config.context_processors gives it to
    templates too): a page names it in several forms, and each mask costs 32 random reads."""
    token = getattr(request, "_masked_csrf_token", None)
    if token is None:
        token = request._masked_csrf_token = get_token(request)  # type: ignore[attr-defined]
    return token


def _without_tokens(html: str, secret: str | None) -> str:
    """Replace every CSRF token masked from this request's secret with the placeholder."""
    if not secret:
        return html

    def swap(match: re.Match[str]) -> str:
        return _PLACEHOLDER if _unmask_cipher_token(match[0]) == secret else match[0]

    return _MASKED_TOKEN.sub(swap, html)


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    session = getattr(request, "session", None)
    messages = getattr(request, "_messages", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not (session is not None and session.modified)
        and not (messages is not None and getattr(messages, "added_new", False))
    )


def _remember(key: str, entry: tuple[str, str, str]) -> None:
    if len(_LOCAL) >= _LOCAL_MAX:
        _LOCAL.clear()
    _LOCAL[key] = (entry, time.monotonic() + PAGE_SECONDS)


def _recall(key: str) -> tuple[str, str, str] | None:
    entry, expires = _LOCAL.get(key, (None, 0.0))
    return entry if time.monotonic() < expires else None


def anonymous_page(view: View) -> View:
    """Serve the view's page to visitors without a session from the cache (see the module docstring)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not _is_anonymous_reader(request):
            return view(request, *args, **kwargs)
        key = f"page:{request.path}"
        version = content_version()
        try:
            entry = _recall(key)
            if version and (entry is None or entry[0] != version):
                entry = cache.get(key)
                if entry is not None:
                    _remember(key, entry)
        except Exception:
            logger.warning("page cache unavailable", exc_info=True)
            return view(request, *args, **kwargs)
        if version and entry and entry[0] == version:
            _, html, content_type = entry
            response = HttpResponse(html_from_cache(html, request), content_type=content_type)
        else:
            response = view(request, *args, **kwargs)
            if version and _storable(request, response):
                html = html_for_cache(response.content.decode(), request)
                entry = (version, html, response["Content-Type"])
                _remember(key, entry)
                try:
                    cache.set(key, entry, PAGE_SECONDS)
                except Exception:
                    logger.warning("page cache unavailable", exc_info=True)
        # The same URL looks different to a visitor with a session: caches in between must not mix them.
        patch_vary_headers(response, ("Cookie",))
        return response

    return wrapper


def fragment_get_or_render(parts: tuple[object, ...], render: Callable[[], str]) -> str:
    """A rendered fragment cached under the content version; rendered afresh when the cache is down.

    Remembered in this process too, like pages: a Redis round trip costs a third of a
    millisecond here, and a signed-in page draws two or three fragments.
    """
    version = content_version()
    if not version:
        return render()
    key = "fragment:" + ":".join([version, *map(str, parts)])
    html = _FRAGMENTS.get(key)
    if html is not None:
        return html
    try:
        html = cache.get(key)
    except Exception:
        logger.warning("fragment cache unavailable", exc_info=True)
        return render()
    if html is None:
        html = render()
        try:
            cache.set(key, html, PAGE_SECONDS)
        except Exception:
            logger.warning("fragment cache unavailable", exc_info=True)
    if len(_FRAGMENTS) >= _FRAGMENTS_MAX:
        _FRAGMENTS.clear()  # old versions' fragments go with it
    _FRAGMENTS[key] = html
    return html
