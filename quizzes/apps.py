from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Lessons and questions"

    def ready(self) -> None:
        # Registers the question-bank loader with loadcontent.
        from quizzes import banks  # noqa: F401
