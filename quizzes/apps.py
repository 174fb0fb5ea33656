from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Lessons and questions"

    def ready(self) -> None:
        # Registers the practice-tests.yaml loader with content_load.
        from quizzes import content_practice_tests  # noqa: F401
