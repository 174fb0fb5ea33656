"""Content as files: tracks, lessons and question banks under `content/`, loaded into the database.

Layout: `content/<track>/track.yaml`, `content/<track>/<lesson>.md` (YAML front matter, then
Markdown) and `content/<track>/<lesson>.questions.yaml`. Loading is one transaction: a bad file
raises `ContentError` naming the file, the line and the reason, and nothing is written.
"""

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.db import models, transaction

from quizzes.markdown import render_document
from quizzes.models import Lesson, Status, Track


class ContentError(Exception):
    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path, self.line, self.reason = Path(path), line, reason
        where = f"{path}:{line}" if line else str(path)
        super().__init__(f"{where}: {reason}")


@dataclass
class LoadSummary:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    # Rows in the database that no file mentions: reported, never deleted behind anyone's back.
    orphans: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)

    def record(self, label: str, outcome: str) -> None:
        if outcome == "created":
            self.created.append(label)
        elif outcome == "updated":
            self.updated.append(label)
        else:
            self.unchanged += 1


# Where a row was last loaded from: kept up to date, but a move within or between files
# (an export from the studio loaded back) is not a change of content.
BOOKKEEPING = frozenset({"source_path", "source_line"})


def upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> tuple[models.Model, str]:
    """Create or update one row, touching it only when a value really differs."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        return model.objects.create(**lookup, **values), "created"
    changed = [name for name, value in values.items() if getattr(row, name) != value]
    if not changed:
        return row, "unchanged"
    for name in changed:
        setattr(row, name, values[name])
    row.save(update_fields=changed)
    return row, "updated" if set(changed) - BOOKKEEPING else "unchanged"


def read_yaml(path: Path, text: str | None = None, *, line_offset: int = 0) -> Any:
    try:
        return yaml.safe_load(path.read_text("utf-8") if text is None else text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark else None
        reason = f"invalid YAML: {error.problem or error.context}"
        if error.context and error.context_mark and error.problem_mark:
            reason += f" ({error.context} that starts on line {error.context_mark.line + 1 + line_offset})"
        raise ContentError(path, line, reason) from None
    except UnicodeDecodeError:
        raise ContentError(path, None, "not UTF-8 text") from None


def check_keys(path: Path, line: int | None, data: Any, required: set[str], optional: set[str], what: str) -> None:
    if not isinstance(data, dict):
        raise ContentError(path, line, f"{what} must be a mapping of keys to values")
    missing = sorted(required - data.keys())
    if missing:
        raise ContentError(path, line, f"{what} is missing {', '.join(missing)}")
    unknown = sorted(data.keys() - required - optional)
    if unknown:
        raise ContentError(path, line, f"{what} has unknown key(s) {', '.join(map(str, unknown))}")


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def check_slug(path: Path, line: int | None, slug: Any, seen: set[str]) -> str:
    """A lowercase, hyphenated slug not used by an earlier item of the same kind in this load."""
    if not isinstance(slug, str) or not SLUG.fullmatch(slug):
        raise ContentError(path, line, f"slug must be lowercase letters, digits and hyphens, not {slug!r}")
    if slug in seen:
        raise ContentError(path, line, f"the slug {slug!r} is used twice")
    seen.add(slug)
    return slug


def check_status(path: Path, line: int | None, value: Any) -> str:
    if value not in Status.values:
        raise ContentError(path, line, f"status must be one of {', '.join(Status.values)}, not {value!r}")
    return value


def _order(path: Path, line: int | None, value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ContentError(path, line, f"order must be a whole number >= 0, not {value!r}")
    return value


def load_track(path: Path, summary: LoadSummary) -> Track:
    data = read_yaml(path)
    check_keys(path, 1, data, {"title"}, {"order", "summary"}, "track.yaml")
    values = {
        "title": str(data["title"]),
        "order": _order(path, None, data.get("order", 0)),
        "summary": str(data.get("summary", "")),
    }
    track, outcome = upsert(Track, {"slug": path.parent.name}, values)
    summary.record(f"track {track.slug}", outcome)
    return track


def split_front_matter(path: Path, text: str) -> tuple[Any, str, int]:
    """Return (front matter, body, the body's first line number)."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise ContentError(path, 1, "a lesson must start with '---' and YAML front matter")
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            meta = read_yaml(path, "".join(lines[1:index]), line_offset=1)
            return meta, "".join(lines[index + 1 :]), index + 2
    raise ContentError(path, 1, "front matter is not closed by a '---' line")


LESSON_KEYS = {"title", "slug", "order", "summary", "status"}


def load_lesson(path: Path, track: Track, summary: LoadSummary, seen: set[str]) -> Lesson:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, None, "not UTF-8 text") from None
    meta, body, body_line = split_front_matter(path, text)
    check_keys(path, 2, meta, LESSON_KEYS, {"updated"}, "front matter")
    check_slug(path, 2, meta["slug"], seen)
    updated = meta.get("updated")
    if updated is not None and not isinstance(updated, datetime.date):
        raise ContentError(path, 2, f"updated must be a date like 2026-06-19, not {updated!r}")
    if not body.strip():
        raise ContentError(path, body_line, "the lesson has no body")
    rendered = render_document(body)
    anchors = [heading.anchor for heading in rendered.headings]
    duplicated = sorted({anchor for anchor in anchors if anchors.count(anchor) > 1})
    if duplicated:
        raise ContentError(path, body_line, f"two sections share the anchor {duplicated[0]!r}; rename one heading")
    values = {
        "track": track,
        "title": str(meta["title"]),
        "summary": str(meta["summary"]),
        "order": _order(path, 2, meta["order"]),
        "status": check_status(path, 2, meta["status"]),
        "updated_on": updated,
        "body_markdown": body,
        "body_html": rendered.html,
        "headings": [vars(heading) for heading in rendered.headings],
        "words": rendered.words,
        "source_path": str(path.relative_to(path.parents[1])),
    }
    lesson, outcome = upsert(Lesson, {"slug": meta["slug"]}, values)
    summary.record(f"lesson {lesson.slug}", outcome)
    return lesson


# A loader for files that sit beside a lesson: (path, track, summary), run after every lesson of
# every track is loaded. The list is explicit (quizzes/loaders.py), not filled by imports.
ExtraLoader = Callable[[Path, Track, LoadSummary], None]


def content_load(*, root: Path, extra_loaders: dict[str, ExtraLoader] | None = None) -> LoadSummary:
    """Upsert every track, lesson and bank under `root`; all or nothing.

    `extra_loaders` maps a file suffix to its loader; by default quizzes.loaders.EXTRA_LOADERS
    (question banks, practice tests)."""
    if extra_loaders is None:
        from quizzes.loaders import EXTRA_LOADERS  # its loaders import this module

        extra_loaders = EXTRA_LOADERS
    root = Path(root)
    if not root.is_dir():
        raise ContentError(root, None, "no such content folder")
    summary = LoadSummary()
    with transaction.atomic():
        tracks: list[tuple[Track, Path]] = []
        for track_file in sorted(root.glob("*/track.yaml")):
            tracks.append((load_track(track_file, summary), track_file.parent))
        seen_lessons: set[str] = set()
        for track, folder in tracks:
            for lesson_file in sorted(folder.glob("*.md")):
                if lesson_file.name.lower() == "readme.md":
                    continue
                load_lesson(lesson_file, track, summary, seen_lessons)
        for track, folder in tracks:
            for suffix, loader in extra_loaders.items():
                for extra in sorted(folder.glob(f"*{suffix}")):
                    loader(extra, track, summary)
        summary.orphans += [
            f"lesson {slug}" for slug in Lesson.objects.exclude(slug__in=seen_lessons).values_list("slug", flat=True)
        ]
    return summary
