"""`{% content_cache "name" key ... %}…{% endcontent_cache %}`: a fragment cached per content version.

For the parts of a page that are the same for every learner (a lesson's body, a question's
prompt and highlighted snippets): rendered once per content version, not once per request.
Unlike Django's `{% cache %}`, a cache outage renders the fragment instead of failing the page.
Never put anything per learner (answers, the user) inside. A CSRF token may be: it is stored as
a placeholder, and each request gets its own.
"""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.safestring import SafeString, mark_safe

from quizzes.pagecache import fragment_get_or_render, html_for_cache, html_from_cache

register = template.Library()


class ContentCacheNode(template.Node):
    def __init__(self, nodelist: NodeList, parts: list[FilterExpression]) -> None:
        self.nodelist = nodelist
        self.parts = parts

    def render(self, context: template.Context) -> SafeString:
        parts = tuple(part.resolve(context) for part in self.parts)
        request = context.get("request")
        if request is None:
            html = fragment_get_or_render(parts, lambda: self.nodelist.render(context))
        else:
            html = html_from_cache(
                fragment_get_or_render(parts, lambda: html_for_cache(self.nodelist.render(context), request)), request
            )
        # The fragment was rendered by this template with autoescaping: safe as it was.
        return mark_safe(html)  # noqa: S308


@register.tag
def content_cache(parser: Parser, token: Token) -> ContentCacheNode:
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("content_cache needs a fragment name")
    nodelist = parser.parse(("endcontent_cache",))
    parser.delete_first_token()
    return ContentCacheNode(nodelist, [parser.compile_filter(bit) for bit in bits[1:]])
