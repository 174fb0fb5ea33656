from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "quizzes"
    verbose_name = "Lessons and questions"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts.signals import anonymous_work_claimed
        from quizzes.models import (
            Answer,
            Attempt,
            Choice,
            Lesson,
            Misconception,
            PracticeTest,
            PracticeTestQuestion,
            Question,
            Track,
        )
        from quizzes.receivers import answers_changed, answers_claim, attempts_claim

        anonymous_work_claimed.connect(answers_claim, dispatch_uid="quizzes.answers_claim")
        anonymous_work_claimed.connect(attempts_claim, dispatch_uid="quizzes.attempts_claim")
        # Whether a learner answered a question is cached per account (selectors.learner_answered).
        for model in (Answer, Attempt):
            post_save.connect(answers_changed, sender=model, dispatch_uid=f"answers-changed-{model.__name__}")
            post_delete.connect(answers_changed, sender=model, dispatch_uid=f"answers-deleted-{model.__name__}")
        # Cached pages and fragments are keyed by the content version: any saved or deleted
        # content row (the admin, the loaders, authoring) replaces it once the write commits.
        for model in (Track, Lesson, Question, Choice, Misconception, PracticeTest, PracticeTestQuestion):
            post_save.connect(_content_changed, sender=model, dispatch_uid=f"content-version-{model.__name__}")
            post_delete.connect(_content_changed, sender=model, dispatch_uid=f"content-version-del-{model.__name__}")


def _content_changed(**kwargs: object) -> None:
    from quizzes.pagecache import content_changed

    content_changed()
