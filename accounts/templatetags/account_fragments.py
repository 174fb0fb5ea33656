"""`{% account_fragment "name" vary ... %}…{% endaccount_fragment %}`: drawn once per account.

For the parts of every page that depend on the account alone, not on the page: the site
header's links (the review badge, the studio link, log out). Stored with the account's cached
reads (accounts.accountcache), so any change to what they show retires them; everything else
they depend on that changes without a write (the number of cards due) goes in `vary`. CSRF
tokens are stored as a placeholder and each request gets its own. Visitors who are not signed in
get the fragment rendered each time. Never put the page's own path or content inside.
"""

from django import template
from django.template.base import FilterExpression, NodeList, Parser, Token
from django.utils.safestring import SafeString, mark_safe

from accounts.accountcache import account_read
from quizzes.pagecache import html_for_cache, html_from_cache

register = template.Library()


class AccountFragmentNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, name: str, nodelist: NodeList, vary: list[FilterExpression]) -> None:
        self.name = name
        self.nodelist = nodelist
        self.vary = vary

    def render(self, context: template.Context) -> SafeString:
        request = context.get("request")
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.nodelist.render(context)
        key = ":".join(["fragment", self.name, *(str(part.resolve(context)) for part in self.vary)])
        html = account_read(user, key, lambda: html_for_cache(self.nodelist.render(context), request))
        # Rendered by this template with autoescaping; only the token placeholder is replaced.
        return mark_safe(html_from_cache(html, request))  # noqa: S308


@register.tag
def account_fragment(parser: Parser, token: Token) -> AccountFragmentNode:
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][-1] != bits[1][0]:
        raise template.TemplateSyntaxError("account_fragment needs a quoted fragment name")
    nodelist = parser.parse(("endaccount_fragment",))
    parser.delete_first_token()
    return AccountFragmentNode(bits[1][1:-1], nodelist, [parser.compile_filter(bit) for bit in bits[2:]])
