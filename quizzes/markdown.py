"""Markdown to safe HTML: markdown-it-py for structure, Pygments for code, nh3 for safety.

Every fragment that reaches a template goes through `render`, so a lesson or a question that
contains `<script>` or an `onerror=` attribute comes out inert.
"""

from dataclasses import dataclass

import nh3
from django.utils.text import slugify
from markdown_it import MarkdownIt
from mdit_py_plugins.anchors import anchors_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import TextLexer, get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4",
    "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong", "sub",
    "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "*": {"class", "id"},
    "pre": {"tabindex"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}


def _highlight(code: str, lang: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(lang or "text")
    except ClassNotFound:
        lexer = TextLexer()
    # Starting with <pre tells markdown-it to use the block as it is instead of wrapping it.
    # tabindex: a block wider than the screen scrolls, and keyboard users must be able to scroll it.
    return f'<pre class="highlight" tabindex="0"><code>{highlight(code, lexer, _FORMATTER)}</code></pre>\n'


def _slug(title: str) -> str:
    return slugify(title) or "section"


def _parser(*, anchors: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"highlight": _highlight, "html": False}).enable("table")
    if anchors:
        md.use(anchors_plugin, min_level=2, max_level=3, slug_func=_slug, permalink=False)
    return md


_DOCUMENT = _parser(anchors=True)
_FRAGMENT = _parser(anchors=False)


@dataclass(frozen=True)
class Heading:
    level: int
    title: str
    anchor: str


@dataclass(frozen=True)
class Rendered:
    html: str
    headings: list[Heading]
    words: int


def sanitize(html: str) -> str:
    """Keep structure and highlighting classes; drop scripts, event handlers and unsafe URLs."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def render_document(text: str) -> Rendered:
    """Render a lesson: headings get anchors, which also feed the table of contents."""
    tokens = _DOCUMENT.parse(text)
    headings = []
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.attrGet("id"):
            title = tokens[index + 1].content
            headings.append(Heading(int(token.tag[1]), title, str(token.attrGet("id"))))
    html = _DOCUMENT.renderer.render(tokens, _DOCUMENT.options, {})
    return Rendered(html=sanitize(html), headings=headings, words=len(text.split()))


def render(text: str) -> str:
    """Render a fragment (a question prompt, a choice, feedback) to sanitised HTML."""
    return sanitize(_FRAGMENT.render(text))


def render_inline(text: str) -> str:
    return sanitize(_FRAGMENT.renderInline(text))


def pygments_css() -> str:
    return HtmlFormatter().get_style_defs(".highlight")
