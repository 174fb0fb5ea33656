"""`content/<track>/practice-tests.yaml`: the practice tests of a track, drafts listed as coming soon.

A list of mappings (slug, title, optional description, status). A test whose file says
`status: published` is published through `practice_test_publish`, which announces it; a file
cannot unpublish a test that was already announced.
"""

from pathlib import Path

import yaml

from quizzes.content import ContentError, LoadSummary, check_keys, check_slug, check_status, read_yaml, upsert
from quizzes.models import PracticeTest, Status, Track
from quizzes.services import practice_test_publish

SUFFIX = "practice-tests.yaml"
KEYS = {"slug", "title", "status"}
OPTIONAL = {"description"}


def _item_lines(path: Path, text: str) -> list[int]:
    node = yaml.compose(text)
    if not isinstance(node, yaml.SequenceNode):
        raise ContentError(path, node.start_mark.line + 1 if node else 1, "must be a list of practice tests")
    return [item.start_mark.line + 1 for item in node.value]


def load_practice_tests(path: Path, track: Track, summary: LoadSummary) -> None:
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise ContentError(path, None, "not UTF-8 text") from None
    data = read_yaml(path, text)
    lines = _item_lines(path, text)
    seen: set[str] = set()
    for item, line in zip(data, lines, strict=True):
        check_keys(path, line, item, KEYS, OPTIONAL, "a practice test")
        slug = check_slug(path, line, item["slug"], seen)
        status = check_status(path, line, item["status"])
        existing = PracticeTest.objects.filter(slug=slug).first()
        if existing and existing.track_id != track.pk:
            raise ContentError(path, line, f"{slug!r} already belongs to the track {existing.track.slug!r}")
        if existing and existing.status == Status.PUBLISHED and status == Status.DRAFT:
            raise ContentError(path, line, f"{slug!r} is published and was announced; a file cannot unpublish it")
        values = {"track": track, "title": str(item["title"]), "description": str(item.get("description", ""))}
        test, outcome = upsert(PracticeTest, {"slug": slug}, values)
        if status == Status.PUBLISHED and practice_test_publish(practice_test=test):
            outcome = "created" if outcome == "created" else "updated"
            summary.record(f"practice test {slug} (published, announcing)", outcome)
        else:
            summary.record(f"practice test {slug}", outcome)
