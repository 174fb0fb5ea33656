from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Lessons and questions"

    def ready(self) -> None:
        # Registers the question-bank and practice-test loaders with loadcontent.
        from accounts.signals import anonymous_work_claimed
        from quizzes import banks, content_practice_tests  # noqa: F401
        from quizzes.receivers import answers_claim

        anonymous_work_claimed.connect(answers_claim, dispatch_uid="quizzes.answers_claim")
