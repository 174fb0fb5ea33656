"""`loadcontent`: creates, updates, is idempotent, and rejects a bad file changing nothing."""

import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from quizzes.models import Lesson, Track

pytestmark = pytest.mark.django_db

LESSON = """---
title: Locks in practice
slug: locks-in-practice
order: 2
summary: When a Lock is enough.
status: published
---

## First section

Some text.

```python
import threading
lock = threading.Lock()
```

## Second section

More text.
"""


@pytest.fixture
def content(tmp_path: Path) -> Path:
    track = tmp_path / "python-concurrency"
    track.mkdir()
    (track / "track.yaml").write_text('title: "Python · Concurrency"\norder: 1\n')
    (track / "locks-in-practice.md").write_text(LESSON)
    return tmp_path


def load(path: Path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("loadcontent", str(path), stdout=out, verbosity=2)
    return out.getvalue()


def test_it_creates_tracks_and_lessons(content):
    output = load(content)

    lesson = Lesson.objects.get(slug="locks-in-practice")
    assert lesson.track.slug == "python-concurrency"
    assert [h["anchor"] for h in lesson.headings] == ["first-section", "second-section"]
    assert 'class="highlight"' in lesson.body_html
    assert "created lesson locks-in-practice" in output


def test_a_second_run_changes_nothing_and_says_so(content):
    load(content)
    before = Lesson.objects.values().get(slug="locks-in-practice")

    output = load(content)

    assert "Nothing changed" in output
    assert Lesson.objects.values().get(slug="locks-in-practice") == before


def test_it_updates_a_changed_lesson(content):
    load(content)
    path = content / "python-concurrency" / "locks-in-practice.md"
    path.write_text(LESSON.replace("Second section", "Another section"))

    output = load(content)

    assert "updated lesson locks-in-practice" in output
    assert Lesson.objects.get(slug="locks-in-practice").anchors == {"first-section", "another-section"}


def test_a_bad_file_fails_with_its_line_and_changes_nothing(content):
    load(content)
    track = content / "python-concurrency"
    (track / "locks-in-practice.md").write_text(LESSON.replace("Second section", "Renamed"))
    (track / "broken.md").write_text(
        "---\ntitle: Broken\nslug: broken\norder: [1\nsummary: x\nstatus: published\n---\nbody\n"
    )

    with pytest.raises(CommandError) as error:
        load(content)

    # YAML notices the unclosed list on line 5 and names line 4, where it was opened.
    assert "broken.md:5: invalid YAML" in str(error.value)
    assert "starts on line 4" in str(error.value)
    assert "Nothing was changed" in str(error.value)
    assert Lesson.objects.get(slug="locks-in-practice").anchors == {"first-section", "second-section"}
    assert not Lesson.objects.filter(slug="broken").exists()


def test_a_missing_key_names_the_key(content):
    (content / "python-concurrency" / "x.md").write_text("---\ntitle: X\nslug: x\norder: 1\nsummary: s\n---\nbody\n")

    with pytest.raises(CommandError, match=r"x\.md:2: front matter is missing status"):
        load(content)
    assert not Track.objects.exists()


def test_a_lesson_no_file_mentions_is_kept_and_reported(content):
    load(content)
    shutil.rmtree(content / "python-concurrency")
    other = content / "other"
    other.mkdir()
    (other / "track.yaml").write_text("title: Other\n")

    output = load(content)

    assert Lesson.objects.filter(slug="locks-in-practice").exists()
    assert "kept lesson locks-in-practice" in output


def test_the_shipped_content_loads():
    load(settings.CONTENT_DIR)

    lesson = Lesson.objects.get(slug="python-threading-and-the-gil")
    assert lesson.status == "published"
    assert "race-conditions-and-locks" in lesson.anchors


def test_two_lessons_with_one_slug_fail_instead_of_overwriting(content):
    (content / "python-concurrency" / "zz-copy.md").write_text(LESSON.replace("Locks in practice", "A copy"))

    with pytest.raises(CommandError, match=r"zz-copy\.md:2: the slug 'locks-in-practice' is used twice"):
        load(content)
    assert not Lesson.objects.exists()


def test_a_slug_with_capitals_is_refused(content):
    (content / "python-concurrency" / "locks-in-practice.md").write_text(
        LESSON.replace("slug: locks-in-practice", "slug: Locks-In-Practice")
    )

    with pytest.raises(CommandError, match="slug must be lowercase letters, digits and hyphens"):
        load(content)
