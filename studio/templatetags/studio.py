from django import template
from django.utils.safestring import SafeString

from quizzes.markdown import render
from quizzes.templatetags.practice import python_html

register = template.Library()


@register.simple_tag
def preview(text: str | None, code: object = None) -> SafeString | str:
    """The server-side preview of a field: the site's renderer and sanitiser, or highlighted code."""
    if not text:
        return ""
    return python_html(str(text)) if code else SafeString(render(str(text)))


@register.filter(name="is_instructor")
def is_instructor_filter(user: object) -> bool:
    """Whether to show the studio link: instructors and staff only (cached per account; the
    studio's own pages check the database)."""
    from accounts.accountcache import account_read
    from studio.access import is_instructor

    return account_read(user, "studio.instructor", lambda: is_instructor(user))  # type: ignore[arg-type]
