"""Tracks, lessons and practice tests: the content a learner reads and practises."""

import math
import uuid
from functools import cached_property
from typing import TYPE_CHECKING

from django.db import models
from django.urls import reverse

if TYPE_CHECKING:
    from quizzes.spec import PredictionSpec


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Track(models.Model):
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["order", "title"]

    def __str__(self) -> str:
        return self.title


class PublishedLessonQuerySet(models.QuerySet):
    def published(self) -> "PublishedLessonQuerySet":
        return self.filter(status=Status.PUBLISHED)


class Lesson(models.Model):
    # Words per minute for the reading-time estimate; code reads slower than prose, so a
    # conservative figure keeps the estimate honest for code-heavy lessons.
    WORDS_PER_MINUTE = 200

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="lessons")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    order = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    updated_on = models.DateField(null=True, blank=True)
    body_markdown = models.TextField()
    # Rendered and sanitised once at load time; the template marks it safe.
    body_html = models.TextField()
    # [{"level": 2, "title": ..., "anchor": ...}] for the table of contents and question links.
    headings = models.JSONField(default=list)
    words = models.PositiveIntegerField(default=0)
    source_path = models.CharField(max_length=500, blank=True)
    # The instructor who may edit it in the studio (staff edit everything); None: content files only.
    author = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="authored_lessons"
    )

    objects = PublishedLessonQuerySet.as_manager()

    class Meta:
        ordering = ["track__order", "order", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lesson", args=[self.track.slug, self.slug])

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.words / self.WORDS_PER_MINUTE))

    @property
    def anchors(self) -> set[str]:
        return {heading["anchor"] for heading in self.headings}


class PracticeTest(models.Model):
    """A timed set of questions announced to subscribers when it goes live.

    Its questions are either a fixed ordered list (`PracticeTestQuestion` rows) or a draw rule:
    `draw_count` random published questions from `draw_sections` and/or `draw_tags` (a question
    qualifies when its section is listed or it carries one of the tags; both empty: any question
    of the track). Drafts are listed as "coming soon" and need none of this.
    """

    class Feedback(models.TextChoices):
        # A verdict after each answer, as on the practice pages.
        IMMEDIATE = "immediate", "After each answer"
        # As in a real interview: nothing about correctness until the results page.
        END = "end", "At the end"

    track = models.ForeignKey(Track, on_delete=models.PROTECT, related_name="practice_tests")
    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    time_limit_minutes = models.PositiveIntegerField(default=30)
    pass_mark_percent = models.PositiveSmallIntegerField(default=70)
    feedback = models.CharField(max_length=10, choices=Feedback.choices, default=Feedback.IMMEDIATE)
    shuffle_questions = models.BooleanField(default=False)
    questions = models.ManyToManyField(
        "Question", through="PracticeTestQuestion", related_name="practice_tests", blank=True
    )
    draw_count = models.PositiveSmallIntegerField(null=True, blank=True)
    draw_sections = models.JSONField(default=list, blank=True)
    draw_tags = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-published_at", "title"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("practice_test", args=[self.slug])

    @property
    def is_end_feedback(self) -> bool:
        return self.feedback == self.Feedback.END


class PracticeTestQuestion(models.Model):
    """One question of a practice test with a fixed list, at its authored position."""

    practice_test = models.ForeignKey(PracticeTest, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey("Question", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["practice_test", "order"]
        constraints = [
            models.UniqueConstraint(fields=["practice_test", "order"], name="practice_test_question_order_unique"),
            models.UniqueConstraint(fields=["practice_test", "question"], name="practice_test_question_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.practice_test_id} #{self.order}"


class Difficulty(models.TextChoices):
    EASY = "easy", "Easy"
    MEDIUM = "medium", "Medium"
    HARD = "hard", "Hard"


class QuestionQuerySet(models.QuerySet):
    def published(self) -> "QuestionQuerySet":
        return self.filter(status=Status.PUBLISHED, lesson__status=Status.PUBLISHED)


class Question(models.Model):
    class Kind(models.TextChoices):
        SINGLE = "single", "Single choice"
        MULTIPLE = "multiple", "Multiple choice"
        PREDICTION = "prediction", "Code prediction"

    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, related_name="questions")
    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # The anchor of the lesson section that teaches it; validated against the lesson on load.
    section = models.SlugField()
    difficulty = models.CharField(max_length=8, choices=Difficulty.choices, default=Difficulty.MEDIUM)
    tags = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PUBLISHED)
    order = models.PositiveIntegerField(default=0)
    prompt_markdown = models.TextField()
    prompt_html = models.TextField()
    explanation_markdown = models.TextField(blank=True)
    explanation_html = models.TextField(blank=True)
    # Code prediction only: PredictionSpec.to_dict(); validated before it is stored.
    spec = models.JSONField(null=True, blank=True)
    source_path = models.CharField(max_length=500, blank=True)
    source_line = models.PositiveIntegerField(null=True, blank=True)
    author = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="authored_questions"
    )
    # False keeps the authored choice order ("none of the above", numeric ranges).
    shuffle_choices = models.BooleanField(default=True)

    objects = QuestionQuerySet.as_manager()

    class Meta:
        ordering = ["lesson", "order"]

    def __str__(self) -> str:
        return self.slug

    def get_absolute_url(self) -> str:
        return reverse("question", args=[self.slug])

    @property
    def is_prediction(self) -> bool:
        return self.kind == self.Kind.PREDICTION

    @cached_property
    def prediction_spec(self) -> "PredictionSpec":
        # Validation parses every variant; a progress poll asks for the spec several times.
        from quizzes.spec import PredictionSpec

        return PredictionSpec.from_dict(self.spec or {})

    @property
    def section_url(self) -> str:
        return f"{self.lesson.get_absolute_url()}#{self.section}"

    @property
    def section_title(self) -> str:
        return next((h["title"] for h in self.lesson.headings if h["anchor"] == self.section), self.section)

    def snapshot(self) -> dict:
        """Everything a learner sees of this question, as stored in a QuestionVersion."""
        return {
            "kind": self.kind,
            "section": self.section,
            "difficulty": self.difficulty,
            "tags": list(self.tags),
            "prompt": self.prompt_markdown,
            "explanation": self.explanation_markdown,
            "spec": self.spec,
            "choices": [
                {
                    "id": choice.pk,
                    "text": choice.text_markdown,
                    "correct": choice.correct,
                    "feedback": choice.feedback_markdown,
                    "misconception": choice.misconception,
                }
                for choice in self.choices.all()
            ],
        }

    def grade_choices(self, selected: set[int]) -> bool:
        """Right when the selected choices are exactly the correct ones (single: the one)."""
        correct = {choice.pk for choice in self.choices.all() if choice.correct}
        return selected == correct


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    order = models.PositiveIntegerField(default=0)
    text_markdown = models.TextField()
    text_html = models.TextField()
    correct = models.BooleanField(default=False)
    feedback_html = models.TextField(blank=True)
    feedback_markdown = models.TextField(blank=True)
    misconception = models.SlugField(blank=True)

    class Meta:
        ordering = ["question", "order"]
        constraints = [models.UniqueConstraint(fields=["question", "order"], name="choice_order_unique")]

    def __str__(self) -> str:
        return self.text_markdown[:60]


class QuestionVersion(models.Model):
    """What a question said when learners answered it; answers keep pointing at their version.

    The Question row always holds the current text. A new version is recorded when a question
    that learners may have answered changes, so statistics are never mixed across versions.
    """

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    snapshot = models.JSONField()
    note = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["question", "-number"]
        constraints = [models.UniqueConstraint(fields=["question", "number"], name="question_version_unique")]

    def __str__(self) -> str:
        return f"{self.question_id} v{self.number}"


class Misconception(models.Model):
    """A false belief a wrong answer reveals, e.g. threads-speed-up-cpu-work."""

    tag = models.SlugField(unique=True)
    belief = models.CharField(max_length=300)

    def __str__(self) -> str:
        return self.tag


class AnswerQuerySet(models.QuerySet):
    def settled(self) -> "AnswerQuerySet":
        """Answers with a verdict that counts: scores, statistics, review and calibration read
        only these (never pending, error or inconclusive ones)."""
        return self.filter(verdict__in=[Answer.Verdict.CORRECT, Answer.Verdict.WRONG])


class Answer(models.Model):
    class Confidence(models.TextChoices):
        SURE = "sure", "Sure"
        THINK = "think", "Think so"
        GUESS = "guess", "Guessing"

    class Verdict(models.TextChoices):
        PENDING = "pending", "Waiting for the run"
        CORRECT = "correct", "Correct"
        WRONG = "wrong", "Not quite"
        ERROR = "error", "Could not measure"
        # The run did not get what the question needs (e.g. two free cores): never graded, and
        # re-measured automatically a few times.
        INCONCLUSIVE = "inconclusive", "Inconclusive: the machine was too busy"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers")
    # Either a signed-in learner or an anonymous session owns an answer.
    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    selected = models.JSONField(default=list)  # choice ids
    prediction = models.TextField(blank=True)  # a bucket key, typed output or a number
    confidence = models.CharField(max_length=5, choices=Confidence.choices, default=Confidence.THINK)
    run = models.ForeignKey("sandbox.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="answers")
    # The version of the question the learner saw; statistics are kept per version.
    version = models.ForeignKey(
        QuestionVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="answers"
    )
    # Set when the answer was given inside a practice-test attempt (its verdict may be hidden
    # until the attempt ends); null on the practice pages.
    attempt = models.ForeignKey("Attempt", null=True, blank=True, on_delete=models.CASCADE, related_name="answers")
    # True when a recent measurement of the very same job answered this prediction.
    reused_run = models.BooleanField(default=False)
    verdict = models.CharField(max_length=12, choices=Verdict.choices, default=Verdict.PENDING)
    # Runs re-queued because an earlier one was inconclusive (bounded: FAIR_RETRIES).
    fair_retries = models.PositiveSmallIntegerField(default=0)
    measured_bucket = models.CharField(max_length=32, blank=True)
    measured_value = models.FloatField(null=True, blank=True)
    measured_output = models.TextField(blank=True)
    problem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    graded_at = models.DateTimeField(null=True, blank=True)

    objects = AnswerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["question", "verdict"])]

    def __str__(self) -> str:
        return f"{self.question.slug}: {self.verdict}"

    def get_absolute_url(self) -> str:
        return reverse("answer", args=[self.pk])

    @property
    def is_final(self) -> bool:
        """Nothing more will happen to this answer by itself (an inconclusive one waiting for
        its automatic re-run is not final)."""
        if self.verdict == self.Verdict.INCONCLUSIVE:
            # Stamped only once no more re-runs will come.
            return self.graded_at is not None
        return self.verdict != self.Verdict.PENDING

    @property
    def is_waiting(self) -> bool:
        """A run is still to grade this answer: the page keeps polling."""
        return not self.is_final


class Attempt(models.Model):
    """One sitting of a practice test by one learner (an account or an anonymous visitor).

    The server keeps the time: `deadline` is fixed at start; answers after it are refused, and a
    sweep on the workers closes attempts past it. `score_percent` and `passed` are set once the
    attempt is closed and every answer has a final verdict (`graded_at`); until then they are null.
    """

    class Status(models.TextChoices):
        OPEN = "open", "In progress"
        FINISHED = "finished", "Finished"
        # Closed by the server at the deadline: the learner did not press Finish in time.
        EXPIRED = "expired", "Time ran out"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice_test = models.ForeignKey(PracticeTest, on_delete=models.CASCADE, related_name="attempts")
    user = models.ForeignKey("auth.User", null=True, blank=True, on_delete=models.CASCADE, related_name="attempts")
    # The anonymous owner's key (accounts.owners.Owner.anon_key); moved to `user` at log-in.
    session_key = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Copied from the test at start, so editing the test never changes a running attempt.
    feedback = models.CharField(max_length=10, choices=PracticeTest.Feedback.choices)
    pass_mark_percent = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    deadline = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True)
    # Right answers / questions in the attempt, counting only right and wrong verdicts as graded.
    score_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    passed = models.BooleanField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["status", "deadline"], name="attempt_open_deadline"),
            models.Index(fields=["practice_test", "status"], name="attempt_test_status"),
        ]
        # One open attempt per learner and test, so two tabs pressing Start at once share one.
        constraints = [
            models.UniqueConstraint(
                fields=["practice_test", "user"],
                condition=models.Q(status="open", user__isnull=False),
                name="attempt_one_open_per_user",
            ),
            models.UniqueConstraint(
                fields=["practice_test", "session_key"],
                condition=models.Q(status="open", user__isnull=True),
                name="attempt_one_open_per_visitor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practice_test.slug} attempt {self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("attempt", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_end_feedback(self) -> bool:
        return self.feedback == PracticeTest.Feedback.END


class AttemptQuestion(models.Model):
    """A question as it appears in one attempt: its position, its choice order, the current answer."""

    attempt = models.ForeignKey(Attempt, on_delete=models.CASCADE, related_name="items")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField()  # 1-based, as shown in the navigator
    # Choice ids in the order this attempt shows them (shuffled at start unless the author said not).
    choice_order = models.JSONField(default=list)
    flagged = models.BooleanField(default=False)
    # The learner's latest answer; changing an answer replaces it (the older Answer rows stay).
    answer = models.ForeignKey(Answer, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Seconds the question was on screen, summed over visits (from the page's heartbeat and navigation).
    seconds_spent = models.PositiveIntegerField(default=0)
    last_shown_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["attempt", "position"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "position"], name="attempt_question_position_unique"),
            models.UniqueConstraint(fields=["attempt", "question"], name="attempt_question_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.attempt_id} #{self.position}"
