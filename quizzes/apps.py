from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Lessons and questions"

    def ready(self) -> None:
        from accounts.signals import anonymous_work_claimed
        from quizzes.receivers import answers_claim, attempts_claim

        anonymous_work_claimed.connect(answers_claim, dispatch_uid="quizzes.answers_claim")
        anonymous_work_claimed.connect(attempts_claim, dispatch_uid="quizzes.attempts_claim")
