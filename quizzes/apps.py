from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Lessons and questions"

    def ready(self) -> None:
        # Registers the question-bank and practice-test loaders with loadcontent.
        from quizzes import banks, content_practice_tests  # noqa: F401
