"""Flows across models: publishing practice tests, submitting and grading answers.

Each service is one transaction. A code-prediction answer is stored with its prediction
before anything runs; the run is enqueued after commit and graded when it has finished.
"""

from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.owners import Owner
from quizzes.models import Answer, PracticeTest, Question, Status
from quizzes.pagecache import content_version_bump
from quizzes.spec import SpecError
from sandbox.engine import Job
from sandbox.jobs import job_build
from sandbox.models import Run
from sandbox.selectors import run_in_flight, run_recent_finished
from sandbox.services import SandboxError, run_enqueue


class AnswerError(ValueError):
    """The answer cannot be accepted as given; the message is for the learner."""


def question_job(question: Question) -> Job:
    spec = question.prediction_spec
    return job_build(variants=spec.variants.items(), repeat=spec.repeat)


def answer_owner(answer: Answer) -> Owner | None:
    """Who owns the answer, so the run it asks for belongs to them too."""
    if answer.user_id is None and not answer.session_key:
        return None
    return Owner(user_id=answer.user_id, anon_key="" if answer.user_id else answer.session_key)


@transaction.atomic
def answer_submit_choices(*, question: Question, selected: set[int], confidence: str, owner: Owner) -> Answer:
    valid = set(question.choices.values_list("pk", flat=True))
    if not selected or not selected <= valid:
        raise AnswerError("Pick an answer first.")
    if question.kind == Question.Kind.SINGLE and len(selected) != 1:
        raise AnswerError("Pick exactly one answer.")
    correct = question.grade_choices(selected)
    return Answer.objects.create(
        question=question,
        **owner.row_fields(),
        selected=sorted(selected),
        confidence=confidence,
        verdict=Answer.Verdict.CORRECT if correct else Answer.Verdict.WRONG,
        graded_at=timezone.now(),
    )


def answer_submit_prediction(
    *,
    question: Question,
    prediction: str,
    confidence: str,
    owner: Owner,
    reuse: bool = True,
) -> Answer:
    """Store the prediction, then answer it from a recent identical run or queue a fresh one."""
    try:
        cleaned = question.prediction_spec.check_prediction(prediction)
    except SpecError as error:
        raise AnswerError(error.reason) from None
    with transaction.atomic():
        answer = Answer.objects.create(
            question=question, **owner.row_fields(), prediction=cleaned, confidence=confidence
        )
    # The prediction is committed before the run is requested, so a broker outage loses nothing:
    # the learner is told and can retry with the same answer.
    return answer_measure(answer=answer, reuse=reuse)


def answer_measure(*, answer: Answer, reuse: bool = False) -> Answer:
    """Attach a run to the answer: a recent identical one when allowed, else a freshly queued one."""
    job = question_job(answer.question)
    max_age = settings.MEASUREMENT_REUSE_SECONDS
    shared = None
    if reuse and max_age:
        # An identical run still queued or running is shared too, so a crowd arriving at once
        # queues one job, not many; being a fresh measurement, it is not labelled as reused.
        fingerprint = job.fingerprint()
        shared = run_recent_finished(fingerprint=fingerprint, max_age_seconds=max_age) or run_in_flight(
            fingerprint=fingerprint, max_age_seconds=max_age
        )
    if shared is not None:
        run, reused = shared, shared.status == Run.Status.FINISHED
    else:
        try:
            run = run_enqueue(job=job, timing=answer.question.prediction_spec.is_timing, owner=answer_owner(answer))
        except SandboxError as error:
            # The prediction stays; the learner sees why nothing ran and can retry.
            Answer.objects.filter(pk=answer.pk).update(
                run=None, verdict=Answer.Verdict.ERROR, problem=str(error), graded_at=timezone.now()
            )
            answer.refresh_from_db()
            return answer
        reused = False
    with transaction.atomic():
        Answer.objects.filter(pk=answer.pk).update(
            run=run, reused_run=reused, verdict=Answer.Verdict.PENDING, problem="", graded_at=None
        )
        answer.refresh_from_db()
    return answer_verdict_write(answer=answer)


def answer_verdict_write(*, answer: Answer) -> Answer:
    """Write the verdict of a pending prediction once its run has finished; a no-op otherwise
    (safe to repeat)."""
    if answer.is_final or answer.run is None:
        return answer
    run = answer.run
    if run.status == Run.Status.ERROR:
        return _grade(answer, verdict=Answer.Verdict.ERROR, problem=run.error or "The run failed.")
    if run.status != Run.Status.FINISHED:
        return answer
    spec = answer.question.prediction_spec
    report = run.report or {}
    if report.get("status") in ("rejected", "infra_error"):
        return _grade(answer, verdict=Answer.Verdict.ERROR, problem=report.get("message", "The run failed."))
    measurement = spec.measure(report)
    if not measurement.ok:
        return _grade(
            answer, verdict=Answer.Verdict.ERROR, problem=f"The code did not run cleanly: {measurement.problem}."
        )
    correct = spec.is_correct(answer.prediction, measurement)
    return _grade(
        answer,
        verdict=Answer.Verdict.CORRECT if correct else Answer.Verdict.WRONG,
        measured_bucket=measurement.bucket or "",
        measured_value=measurement.value,
        measured_output=measurement.observed,
    )


def _grade(answer: Answer, **values: object) -> Answer:
    # Conditional on still pending, so two polls grading at once write one verdict.
    values["graded_at"] = timezone.now()
    Answer.objects.filter(pk=answer.pk, verdict=Answer.Verdict.PENDING, run=answer.run).update(**values)
    answer.refresh_from_db()
    return answer


def practice_test_publish(*, practice_test: PracticeTest) -> bool:
    """Publish a draft and announce it to subscribers once the transaction commits.

    Every way of publishing (admin, content files, the authoring studio) comes through here.
    Returns False, announcing nothing, when the test was already published: the conditional
    update lets only one of two simultaneous publishes through.
    """

    with transaction.atomic():
        published = PracticeTest.objects.filter(pk=practice_test.pk, status=Status.DRAFT).update(
            status=Status.PUBLISHED, published_at=timezone.now()
        )
        practice_test.refresh_from_db(fields=["status", "published_at"])
        if published:
            # A conditional update sends no post_save: cached pages are forgotten here, so the
            # home and test pages show it live.
            content_version_bump()
            transaction.on_commit(partial(_announce, practice_test.pk))
    return bool(published)


def _announce(practice_test_id: int) -> None:
    from notifications.tasks import launch_announce

    content_version_bump()
    launch_announce.delay(practice_test_id)
