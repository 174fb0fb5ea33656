"""Moodle's HTML question text to the Markdown Lockstep stores, through the site's sanitiser first."""

import html
import re
from html.parser import HTMLParser

from quizzes.markdown import sanitize

_BLOCK = {"p", "div", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "ul", "ol"}
_MARKS = {"b": "**", "strong": "**", "i": "*", "em": "*"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#])")


class _ToMarkdown(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.pre = 0
        self.lists: list[str] = []
        self.href: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK or tag == "pre":
            self.out.append("\n\n")
        if tag == "pre":
            self.pre += 1
            self.out.append("```\n")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag in _MARKS:
            self.out.append(_MARKS[tag])
        elif tag == "br":
            self.out.append("\n" if self.pre else "  \n")
        elif tag in ("ul", "ol"):
            self.lists.append(tag)
        elif tag == "li":
            self.out.append("\n" + ("1. " if self.lists and self.lists[-1] == "ol" else "- "))
        elif tag == "a":
            self.href.append(dict(attrs).get("href"))
            self.out.append("[")
        elif tag == "img":
            found = dict(attrs)
            self.out.append(f"![{found.get('alt') or ''}]({found.get('src') or ''})")

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
            self.out.append("\n```\n\n")
        elif tag == "code" and not self.pre:
            self.out.append("`")
        elif tag in _MARKS:
            self.out.append(_MARKS[tag])
        elif tag in ("ul", "ol"):
            if self.lists:
                self.lists.pop()
            self.out.append("\n\n")
        elif tag == "a":
            href = self.href.pop() if self.href else None
            self.out.append(f"]({href})" if href else "]")
        elif tag in _BLOCK:
            self.out.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.pre:
            self.out.append(data)
        else:
            self.out.append(_MD_SPECIAL.sub(r"\\\1", re.sub(r"\s+", " ", data)))


def html_to_markdown(text: str) -> str:
    """Sanitise (scripts, handlers and unsafe URLs go), then write the remaining structure as Markdown."""
    parser = _ToMarkdown()
    parser.feed(sanitize(text))
    parser.close()
    markdown = "".join(parser.out)
    markdown = re.sub(r"[ \t]+\n", lambda m: "  \n" if m.group(0).startswith("  ") else "\n", markdown)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip()


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", sanitize(text))).strip()
