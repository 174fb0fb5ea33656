"""`content/<track>/practice-tests.yaml`: drafts listed as coming soon, `published` goes through the service."""

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from quizzes.models import PracticeTest, Status
from quizzes.services import _announce
from quizzes.tests.conftest import BANK, LESSON

pytestmark = pytest.mark.django_db

TESTS = """\
- slug: gil-and-threads
  title: The GIL and threads
  status: draft
- slug: races-and-locks
  title: Races and locks
  description: Spot the race.
  status: draft
"""
# A published test needs a time limit, a pass mark, a feedback mode and questions from the track.
PUBLISHED = "status: published\n  time_limit: 5\n  pass_mark: 50\n  feedback: end\n  questions: [gil-one-thread]"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    track = tmp_path / "python-concurrency"
    track.mkdir()
    (track / "track.yaml").write_text("title: Python concurrency\n")
    (track / "locks.md").write_text(LESSON)
    (track / "locks.questions.yaml").write_text(BANK)
    (track / "practice-tests.yaml").write_text(TESTS)
    return tmp_path


def load(path: Path) -> None:
    call_command("loadcontent", str(path), verbosity=0, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_drafts_are_loaded_and_listed_as_coming_soon_on_home(client, content):
    load(content)

    assert set(PracticeTest.objects.values_list("slug", "status")) == {
        ("gil-and-threads", "draft"),
        ("races-and-locks", "draft"),
    }
    page = client.get("/")
    assert "The GIL and threads" in page.text
    assert "coming soon" in page.text


def test_a_test_the_file_marks_published_is_published_and_announced(content, django_capture_on_commit_callbacks):
    load(content)
    path = content / "python-concurrency" / "practice-tests.yaml"
    path.write_text(TESTS.replace("status: draft", PUBLISHED, 1))

    with django_capture_on_commit_callbacks() as callbacks:
        load(content)
    with django_capture_on_commit_callbacks() as again:
        load(content)

    test = PracticeTest.objects.get(slug="gil-and-threads")
    assert test.status == Status.PUBLISHED
    assert test.published_at is not None
    # One announcement; the other callbacks forget cached pages (quizzes.pagecache).
    assert len([c for c in callbacks if getattr(c, "func", None) is _announce]) == 1
    assert again == []


def test_a_bad_entry_names_file_and_line_and_changes_nothing(content):
    path = content / "python-concurrency" / "practice-tests.yaml"
    path.write_text(TESTS.replace("  description: Spot the race.\n", "  colour: red\n"))

    with pytest.raises(CommandError, match=r"practice-tests\.yaml:4: a practice test has unknown key\(s\) colour"):
        load(content)

    assert not PracticeTest.objects.exists()


def test_a_file_cannot_unpublish_an_announced_test(content):
    path = content / "python-concurrency" / "practice-tests.yaml"
    path.write_text(TESTS.replace("status: draft", PUBLISHED, 1))
    load(content)
    path.write_text(TESTS)

    with pytest.raises(CommandError, match=r"practice-tests\.yaml:1: 'gil-and-threads' is published"):
        load(content)


def test_a_file_that_is_not_a_list_is_refused(content):
    (content / "python-concurrency" / "practice-tests.yaml").write_text("slug: x\n")

    with pytest.raises(CommandError, match=r"practice-tests\.yaml:1: must be a list of practice tests"):
        load(content)
