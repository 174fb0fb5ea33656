from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Lessons and questions"

    def ready(self) -> None:
        # Registers the question-bank and practice-test loaders with loadcontent.
        from accounts.signals import anonymous_work_claimed
        from quizzes import banks, content_practice_tests  # noqa: F401

        anonymous_work_claimed.connect(_claim_anonymous_work, dispatch_uid="quizzes-claim-anonymous-work")


def _claim_anonymous_work(sender: object, *, user: object, anon_key: str, **kwargs: object) -> None:
    """Answers and attempts made before logging in move into the account."""
    from quizzes.services import anonymous_work_claim

    anonymous_work_claim(user=user, anon_key=anon_key)
