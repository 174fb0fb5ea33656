"""Studio fixtures: the people whose access differs, and a small loaded bank to author against."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from quizzes.models import Question
from quizzes.tests.conftest import BANK, write_content
from studio.access import INSTRUCTORS

SAMPLES = Path(__file__).parent / "samples"


def _instructor(django_user_model: type[User], name: str) -> User:
    user = django_user_model.objects.create_user(name, f"{name}@example.com", f"pw-{name}-123")
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS)
    user.groups.add(group)
    return user


@pytest.fixture
def author(django_user_model: type[User]) -> User:
    """An instructor who owns the questions of `owned`: reads the whole studio, edits their own."""
    return _instructor(django_user_model, "author")


@pytest.fixture
def other_instructor(django_user_model: type[User]) -> User:
    """Another instructor: reads everything in the studio, edits nothing of `author`'s."""
    return _instructor(django_user_model, "other")


@pytest.fixture
def staff(django_user_model: type[User]) -> User:
    """Staff: edits everything, including questions that came from content files."""
    return django_user_model.objects.create_user("staff", "staff@example.com", "pw-staff-123", is_staff=True)


@pytest.fixture
def loaded(tmp_path: Path, db: None) -> Path:
    """The quizzes test bank (lesson `locks`, five questions) loaded through loadcontent."""
    write_content(tmp_path, BANK)
    call_command("loadcontent", str(tmp_path), verbosity=0)
    return tmp_path


@pytest.fixture
def owned(loaded: Path, author: User) -> Question:
    """The bank's single-choice question, handed to `author`."""
    question = Question.objects.get(slug="gil-one-thread")
    question.author = author
    question.save(update_fields=["author"])
    question.lesson.author = author
    question.lesson.save(update_fields=["author"])
    return question
