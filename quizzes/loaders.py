"""The loaders `loadcontent` runs for files beside the lessons, by file suffix: listed here,
explicitly, instead of each module registering itself when something happens to import it."""

from quizzes.banks import load_bank
from quizzes.content import ExtraLoader
from quizzes.content_practice_tests import SUFFIX as PRACTICE_TESTS_SUFFIX
from quizzes.content_practice_tests import load_practice_tests

EXTRA_LOADERS: dict[str, ExtraLoader] = {
    ".questions.yaml": load_bank,
    PRACTICE_TESTS_SUFFIX: load_practice_tests,
}
