"""Progress, the review queue, a review session (one due question after another), reminders."""

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.owners import owner_of
from accounts.selectors import email_verified
from review import progress as progress_figures
from review import selectors, services
from review.models import Reminder
from review.tokens import reminder_from_unsubscribe_token

# Session data: when the current review session began (ISO 8601); only this learner's own rows
# are ever read with it, so a forged value can at worst hide or show their own history.
SESSION_SINCE = "review_since"


def _session_since(request: HttpRequest) -> datetime | None:
    raw = request.session.get(SESSION_SINCE)
    try:
        since = datetime.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None
    return since if since is not None and timezone.is_aware(since) else None


@require_GET
def progress(request: HttpRequest) -> HttpResponse:
    owner = owner_of(request)
    figures = progress_figures.progress_for(owner) if owner is not None else None
    return render(request, "review/progress.html", {"figures": figures})


def _reminder_context(request: HttpRequest) -> dict[str, object]:
    if not request.user.is_authenticated:
        return {}
    reminder = Reminder.objects.filter(user=request.user).first()
    return {"reminder": reminder, "email_verified": email_verified(request.user)}


@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    owner = owner_of(request)
    due = list(selectors.cards_due(owner)) if owner else []
    upcoming = list(selectors.cards_upcoming(owner)) if owner else []
    context = {"due": due, "upcoming": upcoming, "in_session": _session_since(request) is not None}
    return render(request, "review/queue.html", {**context, **_reminder_context(request)})


@require_POST
def session_start(request: HttpRequest) -> HttpResponse:
    owner_of(request, create=True)
    request.session[SESSION_SINCE] = timezone.now().isoformat()
    return HttpResponseRedirect(reverse("review:next"), status=303)


@require_GET
def session_next(request: HttpRequest) -> HttpResponse:
    """The next due question through the normal answer flow, or the summary when none is left."""
    owner, since = owner_of(request), _session_since(request)
    if owner is None or since is None:
        return redirect("review:queue")
    card = selectors.card_next(owner, answered_since=since)
    if card is None:
        return redirect("review:summary")
    # `?again`: a fresh form even where the question page would show the last answer, so the
    # learner recalls instead of rereading.
    return redirect(f"{card.question.get_absolute_url()}?again")


@require_GET
def session_summary(request: HttpRequest) -> HttpResponse:
    owner, since = owner_of(request), _session_since(request)
    if owner is None or since is None:
        return redirect("review:queue")
    context = {
        "reviews": list(selectors.reviews_since(owner, since=since)),
        "pending": list(selectors.answers_pending_since(owner, since=since)),
        "due_left": selectors.due_count(owner),
        "since": since,
    }
    return render(request, "review/summary.html", context)


@login_required
@require_POST
def reminder_update(request: HttpRequest) -> HttpResponse:
    enabled = request.POST.get("enabled") == "on"
    if enabled and not email_verified(request.user):
        messages.error(request, "Verify your email address first (from your profile); then turn reminders on.")
        return HttpResponseRedirect(reverse("review:queue"), status=303)
    services.reminder_set(user=request.user, enabled=enabled)
    if enabled:
        messages.success(request, f"We will email {request.user.email} when questions are due, at most once a day.")
    else:
        messages.success(request, "Review reminders are off.")
    return HttpResponseRedirect(reverse("review:queue"), status=303)


# RFC 8058, as for launch emails: the mail client POSTs "List-Unsubscribe=One-Click" without
# cookies or a CSRF token; the signed token in the URL authenticates the request.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    reminder = reminder_from_unsubscribe_token(token)
    if reminder is None:
        return render(request, "review/unsubscribe.html", {"invalid": True}, status=400)
    if request.method == "GET":
        return render(request, "review/unsubscribe.html", {"reminder": reminder, "token": token})
    services.reminder_unsubscribe(reminder=reminder)
    return render(request, "review/unsubscribe.html", {"reminder": reminder, "unsubscribed": True})
