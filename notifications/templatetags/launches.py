"""`{% launch_signup %}`, `{% launch_tests %}`, `{% launch_notices %}` and
`{% launch_emails_for_account %}` for pages other apps own (accounts' profile page draws the last,
so accounts never imports notifications)."""

from django import template
from django.template import Context
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString

from accounts.accountcache import account_read
from accounts.selectors import email_verified
from notifications import selectors
from notifications.consent import current_consent
from notifications.context import signup_context
from notifications.forms import AccountSubscribeForm
from quizzes.models import Track
from quizzes.pagecache import html_for_cache, html_from_cache

register = template.Library()


# Where the page's own path goes in a form rendered once for all the pages an account reads.
_NEXT = "\x00next-path\x00"


@register.simple_tag(takes_context=True)
def launch_signup(context: Context, source: str, track: Track | None = None) -> SafeString:
    """The subscribe form. For a signed-in account it is rendered once and cached with the
    account's reads (retired by any change to its subscription or address): it took a third of
    a signed-in home page's time. Visitors without a session get the whole page cached."""
    request = context["request"]

    def render(back_to: str | None = None) -> str:
        return render_to_string(
            "notifications/subscribe.html#subscribe-form",
            signup_context(request, source=source, track=track, back_to=back_to),
            request=request,
        )

    if not request.user.is_authenticated:
        return SafeString(render())
    name = f"notifications.signup:{source}:{getattr(track, 'pk', '')}:{current_consent()[0]}"
    html = account_read(request.user, name, lambda: html_for_cache(render(back_to=_NEXT), request))
    # Both were escaped by the template when rendered; the path is escaped here.
    return SafeString(html_from_cache(html, request).replace(_NEXT, escape(request.get_full_path())))


@register.inclusion_tag("notifications/_tests.html")
def launch_tests(track: Track | None = None) -> dict:
    tests = list(selectors.practice_tests_announced(track_id=getattr(track, "pk", None)))
    return {"coming": [t for t in tests if t.status == "draft"], "live": [t for t in tests if t.status == "published"]}


@register.inclusion_tag("notifications/_notices.html", takes_context=True)
def launch_notices(context: Context) -> dict:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"launches": []}
    return {"launches": selectors.header_launches(request), "request": request}


@register.inclusion_tag("notifications/_account_launch_emails.html", takes_context=True)
def launch_emails_for_account(context: Context) -> dict:
    """The profile's "Launch emails" card: the signed-in user's subscription and its form."""
    request = context["request"]
    subscriber = selectors.subscriber_for_user(request.user)
    subscribed = subscriber is not None and subscriber.is_confirmed
    return {
        "request": request,
        "user": request.user,
        "csrf_token": context.get("csrf_token"),
        "email_verified": email_verified(request.user),
        "subscriber": subscriber,
        "subscribed": subscribed,
        "form": AccountSubscribeForm(initial={"track": subscriber.track if subscribed else None, "source": "account"}),
        "consent_text": current_consent()[1],
    }
