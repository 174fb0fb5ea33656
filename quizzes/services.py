"""Flows across models: publishing practice tests, submitting and grading answers.

Each service is one transaction. A code-prediction answer is stored with its prediction
before anything runs; the run is enqueued after commit and graded when it has finished.
"""

from dataclasses import replace
from functools import partial

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.owners import Owner
from quizzes.models import Answer, PracticeTest, Question, Status
from quizzes.spec import SpecError, Verdict, verdict_for
from sandbox.engine import Job
from sandbox.jobs import job_build, job_limits
from sandbox.models import Run
from sandbox.selectors import run_in_flight, run_recent_finished
from sandbox.services import SandboxError, run_enqueue


class AnswerError(ValueError):
    """The answer cannot be accepted as given; the message is for the learner."""


def question_job(question: Question) -> Job:
    spec = question.prediction_spec
    limits = None
    if spec.timeout is not None:
        # A question may stop its runs sooner (a deadlock question), never later than the sandbox.
        limits = job_limits(wall_seconds=min(spec.timeout, job_limits().wall_seconds))
    job = job_build(variants=spec.variants.items(), repeat=spec.repeat, limits=limits)
    return replace(job, control=spec.control_processes)


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
            run=run, reused_run=reused, verdict=Answer.Verdict.PENDING, problem="", graded_at=None, fair_retries=0
        )
        answer.refresh_from_db()
    return answer_refresh(answer=answer)


# An inconclusive run is measured again this many times, after these waits (seconds), before
# the answer stays inconclusive; the learner can still ask for another run.
FAIR_RETRY_BACKOFF = (5, 20, 60)
WAITING = [Answer.Verdict.PENDING, Answer.Verdict.INCONCLUSIVE]
_VERDICTS = {
    Verdict.RIGHT: Answer.Verdict.CORRECT,
    Verdict.WRONG: Answer.Verdict.WRONG,
    Verdict.ERROR: Answer.Verdict.ERROR,
    Verdict.INCONCLUSIVE: Answer.Verdict.INCONCLUSIVE,
}


def answer_refresh(*, answer: Answer) -> Answer:
    """Grade a waiting prediction once its run has finished; a no-op otherwise (safe to repeat)."""
    if answer.is_final or answer.run is None:
        return answer
    run = answer.run
    if run.status == Run.Status.ERROR:
        return _grade(answer, verdict=Answer.Verdict.ERROR, problem=run.error or "The run failed.")
    if run.status != Run.Status.FINISHED:
        return answer
    verdict = verdict_for(answer.question.prediction_spec, run.report or {}, answer.prediction)
    measured = {}
    if verdict.measurement is not None and verdict.measurement.ok:
        measured = {
            "measured_bucket": verdict.measurement.bucket or "",
            "measured_value": verdict.measurement.value,
            "measured_output": verdict.measurement.observed,
        }
    if verdict.outcome == Verdict.INCONCLUSIVE:
        answers_rerun_inconclusive(run=run, question=answer.question, reason=verdict.reason)
        answer.refresh_from_db()
        return answer
    return _grade(answer, verdict=_VERDICTS[verdict.outcome], problem=verdict.reason, **measured)


def answers_rerun_inconclusive(*, run: Run, question: Question, reason: str) -> Run | None:
    """Every answer to `question` waiting on `run`, whose report was inconclusive, becomes
    inconclusive with `reason` and follows one fresh run queued after a backoff; past the
    retry limit they stay inconclusive on this run. Returns the new run, if one was queued.

    The predictions are kept; nothing is graded, so nothing counts in scores or review until a
    fair run grades it. Safe to call twice: the answers move off `run` once.
    """
    waiting = Answer.objects.filter(run=run, question=question, verdict__in=WAITING, graded_at=None)
    retries = min(waiting.values_list("fair_retries", flat=True), default=None)
    if retries is None:
        return None
    if retries >= len(FAIR_RETRY_BACKOFF):
        waiting.update(
            verdict=Answer.Verdict.INCONCLUSIVE,
            problem=f"{reason} It was measured {retries + 1} times and the machine stayed busy; "
            "run it again later for a verdict.",
            graded_at=timezone.now(),
        )
        return None
    try:
        with transaction.atomic():
            rerun = run_enqueue(
                job=question_job(question),
                timing=run.queue == Run.Queue.TIMING,
                owner=Owner(user_id=run.user_id, anon_key="" if run.user_id else run.session_key),
                countdown=FAIR_RETRY_BACKOFF[retries],
            )
            moved = waiting.update(
                run=rerun,
                reused_run=False,
                verdict=Answer.Verdict.INCONCLUSIVE,
                problem=f"{reason} Measuring again in {FAIR_RETRY_BACKOFF[retries]} s "
                f"(attempt {retries + 2} of {len(FAIR_RETRY_BACKOFF) + 1}).",
                fair_retries=F("fair_retries") + 1,
                graded_at=None,
            )
            if not moved:  # another request moved them first: drop this run unpublished
                transaction.set_rollback(True)
                return None
    except SandboxError as error:
        waiting.update(verdict=Answer.Verdict.INCONCLUSIVE, problem=f"{reason} {error}", graded_at=timezone.now())
        return None
    return rerun


def _grade(answer: Answer, **values: object) -> Answer:
    # Conditional on still waiting on this run, so two polls grading at once write one verdict.
    values["graded_at"] = timezone.now()
    Answer.objects.filter(pk=answer.pk, verdict__in=WAITING, graded_at=None, run=answer.run).update(**values)
    answer.refresh_from_db()
    return answer


def practice_test_publish(*, practice_test: PracticeTest) -> bool:
    """Publish a draft and announce it to subscribers once the transaction commits.

    Every way of publishing (admin, content files, the authoring studio) comes through here.
    Returns False, announcing nothing, when the test was already published: the conditional
    update lets only one of two simultaneous publishes through.
    """
    from notifications.tasks import launch_announce

    with transaction.atomic():
        published = PracticeTest.objects.filter(pk=practice_test.pk, status=Status.DRAFT).update(
            status=Status.PUBLISHED, published_at=timezone.now()
        )
        practice_test.refresh_from_db(fields=["status", "published_at"])
        if published:
            transaction.on_commit(partial(launch_announce.delay, practice_test.pk))
    return bool(published)
