"""Studio records: sandbox verifications of code questions and publishing overrides."""

from django.db import models

from quizzes.models import PracticeTest, Question, QuestionVersion


class Verification(models.Model):
    """An instructor's "Verify in sandbox": N independent jobs of one question on the real workers.

    `fingerprint` is the job's fingerprint when it was asked for: a verification proves
    something only about the exact snippets, repeat and limits it ran, so an edit makes it stale.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="verifications")
    version = models.ForeignKey(QuestionVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    fingerprint = models.CharField(max_length=64)
    runs = models.ManyToManyField("sandbox.Run", related_name="+")
    jobs = models.PositiveSmallIntegerField()
    requested_by = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Filled once every run has ended, so lists can filter on stability with one join.
    finished_at = models.DateTimeField(null=True, blank=True)
    fair_runs = models.PositiveSmallIntegerField(default=0)
    inconclusive_runs = models.PositiveSmallIntegerField(default=0)
    expected_share = models.FloatField(null=True, blank=True)
    stable = models.BooleanField(null=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"verification of {self.question_id} ({self.jobs} jobs)"


class PublishOverride(models.Model):
    """Publishing an unverified or unstable code question anyway, with the reason shown to other instructors."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="publish_overrides")
    version = models.ForeignKey(QuestionVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    verification = models.ForeignKey(Verification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField()
    user = models.ForeignKey("auth.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"override on {self.question_id}"


class PracticeTestAuthor(models.Model):
    """Who may edit a practice test in the studio (staff edit every test)."""

    practice_test = models.OneToOneField(PracticeTest, on_delete=models.CASCADE, related_name="studio_author")
    user = models.ForeignKey("auth.User", on_delete=models.CASCADE, related_name="+")

    def __str__(self) -> str:
        return f"{self.practice_test_id} by {self.user_id}"
