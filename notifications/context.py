"""What the subscribe form needs wherever it is drawn: the views and the `{% launch_signup %}` tag."""

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from notifications import selectors
from notifications.consent import current_consent
from notifications.forms import AccountSubscribeForm, SubscribeForm
from quizzes.models import Track
from quizzes.pagecache import content_read

DONE_TEXT = (
    "Check your inbox: if that address can receive email, a confirmation link is on its way. "
    "Nothing is sent to it until the link is clicked."
)
ACCOUNT_DONE_TEXT = (
    "Check your inbox to confirm: we sent a link to your account's address. Launch emails start once it is opened."
)


def next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse("home")


def signup_context(
    request: HttpRequest,
    *,
    source: str,
    form: SubscribeForm | AccountSubscribeForm | None = None,
    done: bool = False,
    track: Track | None = None,
    back_to: str | None = None,
) -> dict:
    """What the subscribe partial needs, wherever it is drawn (home, lesson, its own page).

    `back_to` replaces the page's own path as where to come back to (the tag caching the form
    passes a placeholder)."""
    one_click = can_one_click(request)
    if form is None:
        initial = {"source": source, "track": track}
        form = AccountSubscribeForm(initial=initial) if one_click else SubscribeForm(initial=initial)
    subscriber, verified = selectors.account_state(request)
    return {
        "form": form,
        # A list, read once: the template's loop would count the tracks, then read them.
        "track_choices": content_read("subscribe-track-choices", lambda: list(iter(form.fields["track"].choices))),
        "source": source,
        "next": back_to or (request.get_full_path() if request.method == "GET" else next_url(request)),
        "one_click": one_click,
        "account_subscriber": subscriber,
        "consent_text": current_consent()[1],
        "email_verified": verified,
        "subscribe_done": done,
        "done_text": ACCOUNT_DONE_TEXT if one_click else DONE_TEXT,
    }


def can_one_click(request: HttpRequest) -> bool:
    return request.user.is_authenticated and bool(request.user.email)
