"""Subscribe (anonymous form or one click), confirm, unsubscribe, dismiss the header notices."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from accounts.selectors import email_verified
from config.htmx import HtmxHttpRequest
from config.ratelimit import rate_limit_allows
from config.tokens import InvalidToken
from notifications import selectors, services
from notifications.context import ACCOUNT_DONE_TEXT, DONE_TEXT, can_one_click, next_url, signup_context
from notifications.forms import AccountSubscribeForm, SubscribeForm
from notifications.tokens import subscriber_from_confirm_token, subscriber_from_unsubscribe_token

LIMITED_TEXT = "Too many sign-up attempts. Please wait an hour and try again."
TRACK_INVALID_TEXT = "That track is no longer offered. Choose one from the list and try again."


def _address_allows(email: str) -> bool:
    # One counter per address for the form and the one click: neither is a way around the other.
    return rate_limit_allows(
        scope="address",
        ident=services.email_normalize(email),
        limit=settings.MAIL_REQUESTS_PER_ADDRESS,
        window=settings.MAIL_REQUESTS_WINDOW_SECONDS,
    )


def _form_reply(request: HtmxHttpRequest, context: dict, *, status: int) -> HttpResponse:
    template = "notifications/subscribe.html#subscribe-form" if request.htmx else "notifications/subscribe.html"
    return render(request, template, context, status=status)


@require_http_methods(["GET", "POST"])
def subscribe(request: HtmxHttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, "notifications/subscribe.html", signup_context(request, source="home"))
    form = SubscribeForm(request.POST)
    valid = form.is_valid()
    source = form.cleaned_data.get("source") or "home"
    # The IP counts every attempt; the address counts only well-formed ones.
    if not rate_limit_allows(
        scope="ip",
        ident=request.META.get("REMOTE_ADDR", ""),
        limit=settings.MAIL_REQUESTS_PER_IP,
        window=settings.MAIL_REQUESTS_WINDOW_SECONDS,
    ) or (valid and not _address_allows(form.cleaned_data["email"])):
        form.add_error(None, LIMITED_TEXT)
        return _form_reply(request, signup_context(request, source=source, form=form), status=429)
    if not valid:
        return _form_reply(request, signup_context(request, source=source, form=form), status=400)
    services.subscription_request(
        email=form.cleaned_data["email"], track=form.cleaned_data["track"], source=form.cleaned_data["source"]
    )
    return _done(request, source)


def _done(request: HtmxHttpRequest, source: str) -> HttpResponse:
    if request.htmx:
        return render(
            request, "notifications/subscribe.html#subscribe-form", signup_context(request, source=source, done=True)
        )
    messages.success(request, DONE_TEXT)
    return HttpResponseRedirect(f"{next_url(request)}#get-notified", status=303)


@login_required
@require_POST
def subscribe_account(request: HtmxHttpRequest) -> HttpResponse:
    """One click for a logged-in user, from the home page, a lesson or the profile.

    Immediate for a verified address; otherwise it mails a confirmation link, so it counts
    against the address's rate limit like the anonymous form.
    """
    if not can_one_click(request):
        messages.error(request, "Your account has no email address to write to.")
        return HttpResponseRedirect(reverse("profile"), status=303)
    form = AccountSubscribeForm(request.POST)
    if not form.is_valid():
        return _account_refusal(request, form, TRACK_INVALID_TEXT, status=400)
    if not email_verified(request.user) and not _address_allows(request.user.email):
        return _account_refusal(request, form, LIMITED_TEXT, status=429)
    source = form.cleaned_data["source"] or "account"
    subscribed = services.subscription_subscribe_account(user=request.user, track=form.cleaned_data["track"])
    if request.htmx:
        return render(
            request,
            "notifications/subscribe.html#subscribe-form",
            signup_context(request, source=source, done=not subscribed),
        )
    if subscribed:
        messages.success(request, "Subscribed: we will email you when a practice test launches.")
    else:
        messages.success(request, ACCOUNT_DONE_TEXT)
    return HttpResponseRedirect(next_url(request), status=303)


def _account_refusal(request: HtmxHttpRequest, form: AccountSubscribeForm, text: str, *, status: int) -> HttpResponse:
    if request.htmx:
        form.add_error(None, text)
        source = form.cleaned_data.get("source") or "account"
        return _form_reply(request, signup_context(request, source=source, form=form), status=status)
    messages.error(request, text)
    return HttpResponseRedirect(next_url(request), status=303)


@login_required
@require_POST
def unsubscribe_account(request: HttpRequest) -> HttpResponse:
    subscriber = selectors.subscriber_for_user(request.user)
    if subscriber is not None:
        services.subscription_unsubscribe(subscriber=subscriber)
    messages.success(request, "Unsubscribed: you will get no more launch emails.")
    return HttpResponseRedirect(next_url(request), status=303)


def _invalid_link(request: HttpRequest, error: InvalidToken, *, action: str) -> HttpResponse:
    context = {"expired": error.expired, "action": action, "max_age_days": settings.NOTIFY_CONFIRM_MAX_AGE // 86400}
    return render(request, "notifications/link_invalid.html", context, status=400)


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST confirms: link scanners that open every URL confirm nothing."""
    try:
        subscriber = subscriber_from_confirm_token(token)
    except InvalidToken as error:
        return _invalid_link(request, error, action="confirm")
    if request.method == "GET":
        return render(request, "notifications/confirm.html", {"subscriber": subscriber, "token": token})
    if not services.subscription_confirm(subscriber=subscriber):
        return _invalid_link(request, InvalidToken(expired=False), action="confirm")
    return render(request, "notifications/confirm.html", {"subscriber": subscriber, "confirmed": True})


# RFC 8058: the mail client POSTs "List-Unsubscribe=One-Click" with no cookies, so there is no
# CSRF token; the signed token in the URL is what authenticates the request.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        subscriber = subscriber_from_unsubscribe_token(token)
    except InvalidToken as error:
        return _invalid_link(request, error, action="unsubscribe")
    if request.method == "GET":
        return render(request, "notifications/unsubscribe.html", {"subscriber": subscriber, "token": token})
    services.subscription_unsubscribe(subscriber=subscriber)
    return render(request, "notifications/unsubscribe.html", {"subscriber": subscriber, "unsubscribed": True})


@login_required
@require_POST
def notices_dismiss(request: HtmxHttpRequest) -> HttpResponse:
    subscriber = selectors.subscriber_for_user(request.user)
    if subscriber is not None:
        services.notices_dismiss(subscriber=subscriber)
    if request.htmx:
        return HttpResponse("")
    return HttpResponseRedirect(next_url(request), status=303)
