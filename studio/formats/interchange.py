"""What an import found: questions in the bank loader's terms, and what was skipped and why."""

from dataclasses import dataclass, field
from typing import Any

from django.utils.text import slugify


@dataclass
class Skipped:
    where: str  # "file:line" or "file: question 'name'"
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class Parsed:
    """Bank items (`kind`, `prompt`, `choices`... as in content/README.md) plus what could not come along."""

    items: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)


def slug_for(name: str, taken: set[str]) -> str:
    base = slugify(name)[:60].strip("-") or "imported-question"
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def category_tag(path: str) -> str:
    """A Moodle or GIFT category path ($course$/top/Threads/Locks) as one tag: its last part."""
    parts = [p for p in path.replace("$course$", "").replace("$system$", "").split("/") if p and p != "top"]
    return slugify(parts[-1]) if parts else ""
