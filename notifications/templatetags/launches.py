"""`{% launch_signup %}`, `{% launch_tests %}` and `{% launch_notices %}` for pages other apps own."""

from django import template
from django.template import Context
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from notifications import selectors
from quizzes.models import Track

register = template.Library()


@register.simple_tag(takes_context=True)
def launch_signup(context: Context, source: str, track: Track | None = None) -> SafeString:
    from notifications.views import signup_context

    request = context["request"]
    return render_to_string(
        "notifications/subscribe.html#subscribe-form",
        signup_context(request, source=source, track=track),
        request=request,
    )


@register.inclusion_tag("notifications/_tests.html")
def launch_tests(track: Track | None = None) -> dict:
    tests = list(selectors.practice_tests_announced(track_id=getattr(track, "pk", None)))
    return {"coming": [t for t in tests if t.status == "draft"], "live": [t for t in tests if t.status == "published"]}


@register.inclusion_tag("notifications/_notices.html", takes_context=True)
def launch_notices(context: Context) -> dict:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"launches": []}
    subscriber, _ = selectors.account_state(request)
    return {"launches": selectors.launches_for_subscriber(subscriber), "request": request}
