"""`{% review_nav %}` and `{% review_due %}` for the site header, `{% review_continue %}` under an
answer, progress charts."""

from django import template
from django.template import Context
from django.utils.safestring import SafeString

from accounts.owners import owner_of
from review import charts, selectors
from review.progress import CalibrationRow, TestHistory

register = template.Library()


@register.inclusion_tag("review/_nav_links.html", takes_context=True)
def review_nav(context: Context) -> dict:
    return {"due": review_due(context)}


@register.simple_tag(takes_context=True)
def review_due(context: Context) -> int:
    """How many of the visitor's review cards are due (the header's badge)."""
    request = context.get("request")
    # An anonymous visitor without a session has no cards: no query, and no session is created.
    owner = owner_of(request) if request is not None else None
    if owner is None:
        return 0
    if owner.user_id is not None:
        return selectors.due_count_shown(request.user, owner)
    return selectors.due_count(owner)


@register.inclusion_tag("review/_continue.html", takes_context=True)
def review_continue(context: Context) -> dict:
    """ "Next review question" under an answer, during a review session, for a question in the queue."""
    from review.views import SESSION_SINCE

    request, question = context.get("request"), context.get("question")
    if request is None or question is None or SESSION_SINCE not in request.session:
        return {"in_session": False}
    owner = owner_of(request)
    return {"in_session": owner is not None and selectors.cards_of(owner).filter(question=question).exists()}


@register.simple_tag
def calibration_chart(rows: list[CalibrationRow]) -> SafeString:
    return charts.calibration_svg([(row.label, row.tally.right, row.tally.total) for row in rows])


@register.simple_tag
def scores_chart(history: TestHistory) -> SafeString:
    return charts.scores_svg(history.points, pass_mark=history.pass_mark)
