"""Flows across models: publishing practice tests, submitting and grading answers, attempts.

Each service is one transaction. A code-prediction answer is stored with its prediction
before anything runs; the run is enqueued after commit and graded on the worker when it has
finished (`answers_grade_for_run`, called by the sandbox once the report is stored). Pages
only read verdicts.
"""

import logging
import random
from dataclasses import replace
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.accountcache import account_changed
from accounts.owners import Owner
from quizzes.models import Answer, Attempt, AttemptQuestion, PracticeTest, Question, QuestionVersion, Status
from quizzes.pagecache import content_version_bump
from quizzes.signals import answer_graded, attempt_graded
from quizzes.spec import SpecError, Verdict, verdict_for
from sandbox.engine import Job, Report
from sandbox.jobs import job_build, job_limits
from sandbox.models import Run
from sandbox.selectors import run_in_flight, run_recent_finished
from sandbox.services import SandboxError, run_enqueue

logger = logging.getLogger(__name__)


class AnswerError(ValueError):
    """The answer cannot be accepted as given; the message is for the learner."""


class AttemptClosed(AnswerError):
    """The attempt is finished or its time is up: nothing more is accepted."""


class AnswerFinal(AnswerError):
    """Immediate feedback showed this answer's verdict (and the right answer): it cannot change."""


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


def question_version_current(*, question: Question) -> QuestionVersion:
    """The version a learner answering now sees; version 1 is recorded on the first answer."""
    version = question.versions.order_by("-number").first()
    if version is None:
        # get_or_create: two first answers at once must not record two version 1s.
        version, _ = QuestionVersion.objects.get_or_create(
            question=question, number=1, defaults={"snapshot": question.snapshot(), "note": "first"}
        )
    return version


def question_version_record(
    *, question: Question, user: AbstractBaseUser | None = None, note: str = ""
) -> QuestionVersion:
    """Record the question's current text after a change; call it inside the change's transaction.

    A published question, or one that learners answered, gets a new version so earlier answers
    keep what they answered; a draft nobody answered is corrected in place.
    """
    snapshot = question.snapshot()
    latest = question.versions.select_for_update().order_by("-number").first()
    if latest is not None and latest.snapshot == snapshot:
        return latest
    author = user if user is not None and user.is_authenticated else None
    if latest is None or question.status == Status.PUBLISHED or latest.answers.exists():
        number = latest.number + 1 if latest else 1
        return QuestionVersion.objects.create(
            question=question, number=number, snapshot=snapshot, note=note, created_by=author
        )
    latest.snapshot, latest.note, latest.created_by = snapshot, note or latest.note, author or latest.created_by
    latest.save(update_fields=["snapshot", "note", "created_by"])
    return latest


@transaction.atomic
def answer_submit_choices(
    *,
    question: Question,
    selected: set[int],
    confidence: str,
    owner: Owner,
    attempt: Attempt | None = None,
) -> Answer:
    valid = set(question.choices.values_list("pk", flat=True))
    if not selected or not selected <= valid:
        raise AnswerError("Pick an answer first.")
    if question.kind == Question.Kind.SINGLE and len(selected) != 1:
        raise AnswerError("Pick exactly one answer.")
    correct = question.grade_choices(selected)
    answer = Answer.objects.create(
        question=question,
        **owner.row_fields(),
        selected=sorted(selected),
        confidence=confidence,
        attempt=attempt,
        version=question_version_current(question=question),
        verdict=Answer.Verdict.CORRECT if correct else Answer.Verdict.WRONG,
        graded_at=timezone.now(),
    )
    answer_graded.send(sender=Answer, answer=answer)
    return answer


def answer_submit_prediction(
    *,
    question: Question,
    prediction: str,
    confidence: str,
    owner: Owner,
    reuse: bool = True,
    attempt: Attempt | None = None,
) -> Answer:
    """Store the prediction, then answer it from a recent identical run or queue a fresh one."""
    try:
        cleaned = question.prediction_spec.check_prediction(prediction)
    except SpecError as error:
        raise AnswerError(error.reason) from None
    with transaction.atomic():
        answer = Answer.objects.create(
            question=question,
            **owner.row_fields(),
            prediction=cleaned,
            confidence=confidence,
            attempt=attempt,
            version=question_version_current(question=question),
        )
    # The prediction is committed before the run is requested, so a broker outage loses nothing:
    # the learner is told and can retry with the same answer.
    return answer_measure(answer=answer, reuse=reuse)


def answer_measure(*, answer: Answer, reuse: bool = False) -> Answer:
    """Attach a run to the answer: a recent identical one when allowed, else a freshly queued one."""
    job = question_job(answer.question)
    max_age = settings.MEASUREMENT_REUSE_SECONDS
    try:
        with transaction.atomic():
            if reuse and max_age:
                # Looking for a run to share and queueing one is a single step per question (the
                # row lock on PostgreSQL, the write lock on SQLite): a crowd arriving at once
                # queues one job, not one per learner who looked before the first had committed.
                Question.objects.select_for_update().filter(pk=answer.question_id).first()
                fingerprint = job.fingerprint()
                shared = run_recent_finished(fingerprint=fingerprint, max_age_seconds=max_age) or run_in_flight(
                    fingerprint=fingerprint, max_age_seconds=max_age
                )
            else:
                shared = None
            if shared is not None:
                # A queued or running identical run is a fresh measurement: not labelled reused.
                run, reused = shared, shared.status == Run.Status.FINISHED
            else:
                timing = answer.question.prediction_spec.is_timing
                run, reused = run_enqueue(job=job, timing=timing, owner=answer_owner(answer)), False
            Answer.objects.filter(pk=answer.pk).update(
                run=run,
                reused_run=reused,
                verdict=Answer.Verdict.PENDING,
                problem="",
                graded_at=None,
                fair_retries=0,
            )
    except SandboxError as error:
        # The prediction stays; the learner sees why nothing ran and can retry.
        Answer.objects.filter(pk=answer.pk).update(
            run=None, verdict=Answer.Verdict.ERROR, problem=str(error), graded_at=timezone.now()
        )
    answer.refresh_from_db()
    return answer_verdict_write(answer=answer)


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


def answer_verdict_write(*, answer: Answer) -> Answer:
    """Grade a pending prediction whose run is already done (a shared finished run); else a no-op.

    Called at submit time only. Runs that finish later are graded on the worker by
    `answers_grade_for_run`; pages never grade.
    """
    if answer.is_final or answer.run is None:
        return answer
    run = answer.run
    if run.status == Run.Status.ERROR:
        return _grade(answer, verdict=Answer.Verdict.ERROR, problem=run.error or "The run failed.")
    if run.status != Run.Status.FINISHED or run.report_obj is None:
        return answer
    return _grade_from_report(answer, run.report_obj)


def _grade_from_report(answer: Answer, report: Report) -> Answer:
    verdict = verdict_for(answer.question.prediction_spec, report, answer.prediction)
    measured = {}
    if verdict.measurement is not None and verdict.measurement.ok:
        measured = {
            "measured_bucket": verdict.measurement.bucket or "",
            "measured_value": verdict.measurement.value,
            "measured_output": verdict.measurement.observed,
        }
    if verdict.outcome == Verdict.INCONCLUSIVE:
        assert answer.run is not None  # a report came from it
        answers_rerun_inconclusive(run=answer.run, question=answer.question, reason=verdict.reason)
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


@transaction.atomic
def _grade(answer: Answer, **values: object) -> Answer:
    # Conditional on still pending, so two graders at once (worker and sweep) write one verdict
    # (and send one signal).
    values["graded_at"] = timezone.now()
    graded = Answer.objects.filter(pk=answer.pk, verdict__in=WAITING, graded_at=None, run=answer.run).update(**values)
    answer.refresh_from_db()
    if graded:
        answer_graded.send(sender=Answer, answer=answer)
    return answer


def answers_grade_for_run(*, run: Run, report: Report | None) -> int:
    """Grade every answer waiting on `run`, on the worker, right after its report was stored.

    A run shared by several answers grades them all. `report` is None when the run ended
    without one (failed: `run.error` says why). Attempts whose last pending answer this was
    get their score. Returns how many answers were graded.
    """
    waiting = list(
        Answer.objects.filter(run_id=run.pk, verdict__in=WAITING, graded_at=None).select_related("question", "run")
    )
    graded = 0
    for answer in waiting:
        if report is None:
            answer = _grade(answer, verdict=Answer.Verdict.ERROR, problem=run.error or "The run failed.")
        else:
            answer = _grade_from_report(answer, report)
        graded += answer.is_final
    for attempt_id in {answer.attempt_id for answer in waiting if answer.attempt_id}:
        # Scored afresh when already scored: the learner ran an answer again after the score
        # was set (one that stayed inconclusive), and the score must follow its new verdict.
        attempt_grade(attempt=Attempt.objects.get(pk=attempt_id), again=True)
    return graded


def answers_grade_stranded() -> int:
    """Grade pending answers whose run is done but was never graded (a worker died in between)."""
    stranded = Answer.objects.filter(
        verdict__in=WAITING, graded_at=None, run__status__in=[Run.Status.FINISHED, Run.Status.ERROR]
    ).values_list("run_id", flat=True)
    graded = 0
    for run in Run.objects.filter(pk__in=set(stranded)):
        graded += answers_grade_for_run(run=run, report=run.report_obj)
    return graded


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


# -- practice-test attempts -------------------------------------------------------------------

# A gap between two page views longer than this is not counted as time on a question.
MAX_SECONDS_PER_VIEW = 15 * 60


def _attempt_questions(practice_test: PracticeTest, rng: random.Random) -> list[Question]:
    if practice_test.draw_count:
        pool = Question.objects.published().filter(lesson__track=practice_test.track_id)
        sections, tags = set(practice_test.draw_sections), set(practice_test.draw_tags)
        matching = [q for q in pool if (not sections and not tags) or q.section in sections or set(q.tags) & tags]
        return rng.sample(matching, min(practice_test.draw_count, len(matching)))
    questions = [item.question for item in practice_test.items.select_related("question").order_by("order")]
    questions = [q for q in questions if q.status == Status.PUBLISHED]
    if practice_test.shuffle_questions:
        rng.shuffle(questions)
    return questions


def choice_order_for(question: Question, rng: random.Random) -> list[int]:
    """The order to show a question's choices in: shuffled, unless the author asked to keep it."""
    ids = [choice.pk for choice in question.choices.all()]
    if question.shuffle_choices:
        rng.shuffle(ids)
    return ids


def attempt_start(*, practice_test: PracticeTest, owner: Owner) -> Attempt:
    """Resume the owner's open attempt at this test, or start a fresh one with its own orders.

    A second tab or a reload lands on the same attempt with the same deadline. A fresh attempt
    (a retake) draws new question and choice orders. Two starts at the same moment (two tabs,
    a double click) meet the one-open-attempt constraint, and the loser resumes the winner's.
    """
    if practice_test.status != Status.PUBLISHED:
        raise AnswerError("This practice test is not open yet.")
    attempts_close_expired(owner=owner)
    mine = Attempt.objects.filter(owner.q(), practice_test=practice_test, status=Attempt.Status.OPEN)
    open_attempt = mine.first()
    if open_attempt is not None:
        return open_attempt
    try:
        return _attempt_create(practice_test=practice_test, owner=owner)
    except IntegrityError:
        return mine.get()


@transaction.atomic
def _attempt_create(*, practice_test: PracticeTest, owner: Owner) -> Attempt:
    # Not seeded: every attempt gets orders nobody can predict from the attempt or the learner.
    rng = random.Random()
    questions = _attempt_questions(practice_test, rng)
    if not questions:
        raise AnswerError("This practice test has no questions yet.")
    now = timezone.now()
    attempt = Attempt.objects.create(
        practice_test=practice_test,
        **owner.row_fields(),
        feedback=practice_test.feedback,
        pass_mark_percent=practice_test.pass_mark_percent,
        started_at=now,
        deadline=now + timedelta(minutes=practice_test.time_limit_minutes),
    )
    AttemptQuestion.objects.bulk_create(
        AttemptQuestion(
            attempt=attempt,
            question=question,
            position=position,
            choice_order=[] if question.is_prediction else choice_order_for(question, rng),
        )
        for position, question in enumerate(questions, start=1)
    )
    return attempt


def _open_or_refuse(attempt: Attempt) -> Attempt:
    """The attempt, re-read and locked; AttemptClosed when it is finished or past its deadline."""
    attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
    if attempt.is_open and timezone.now() >= attempt.deadline:
        _attempt_close(attempt, status=Attempt.Status.EXPIRED)
        attempt.refresh_from_db()
    if attempt.status == Attempt.Status.EXPIRED:
        raise AttemptClosed("Time is up: this attempt closed at its deadline, so that answer was not recorded.")
    if not attempt.is_open:
        raise AttemptClosed("This attempt is finished; answers can no longer change. Start a new attempt to retake it.")
    return attempt


def _same_answer(previous: Answer | None, *, selected: list[int], prediction: str) -> bool:
    if previous is None:
        return False
    return previous.selected == selected and previous.prediction == prediction


def attempt_answer(
    *,
    attempt: Attempt,
    item: AttemptQuestion,
    selected: set[int] | None = None,
    prediction: str = "",
    confidence: str = Answer.Confidence.THINK,
) -> Answer:
    """Record (or change) the answer to one question of an open attempt.

    Refused after the deadline, and in immediate mode once the question was answered (its
    verdict was shown). Choices are checked against the ones this attempt shows, so a
    forged choice id is an AnswerError. Sending the same answer again (a double submit) returns
    the stored one and starts no second run.
    """
    question = item.question
    with transaction.atomic():
        attempt = _open_or_refuse(attempt)
        # Lock only the item: PostgreSQL refuses FOR UPDATE on the nullable side of the outer
        # join that select_related("answer") needs before the first answer exists.
        item = AttemptQuestion.objects.select_for_update(of=("self",)).select_related("answer").get(pk=item.pk)
        if question.is_prediction:
            try:
                cleaned = question.prediction_spec.check_prediction(prediction)
            except SpecError as error:
                raise AnswerError(error.reason) from None
            if _same_answer(item.answer, selected=[], prediction=cleaned):
                return item.answer
            _refuse_a_changed_answer_after_feedback(attempt, item)
            answer = Answer.objects.create(
                question=question,
                **_attempt_owner(attempt).row_fields(),
                prediction=cleaned,
                confidence=confidence,
                attempt=attempt,
                version=question_version_current(question=question),
            )
            _attempt_item_answered(item, answer)
        else:
            chosen = sorted(selected or ())
            if not set(chosen) <= set(item.choice_order):
                raise AnswerError("That choice is not one of this question's answers. Pick one of those shown.")
            if _same_answer(item.answer, selected=chosen, prediction=""):
                return item.answer
            _refuse_a_changed_answer_after_feedback(attempt, item)
            answer = answer_submit_choices(
                question=question,
                selected=set(chosen),
                confidence=confidence,
                owner=_attempt_owner(attempt),
                attempt=attempt,
            )
            _attempt_item_answered(item, answer)
            return answer
    # After commit, as on the practice pages: the prediction is stored before anything runs.
    return answer_measure(answer=answer, reuse=True)


def _refuse_a_changed_answer_after_feedback(attempt: Attempt, item: AttemptQuestion) -> None:
    # Immediate feedback shows the verdict and the right answer as soon as a question is answered:
    # a second answer would score what the learner was just shown, not what they knew.
    if item.answer_id is not None and not attempt.is_end_feedback:
        raise AnswerFinal("You answered this question and saw its result; in this test an answer cannot change.")


def _attempt_owner(attempt: Attempt) -> Owner:
    return Owner(user_id=attempt.user_id, anon_key="" if attempt.user_id else attempt.session_key)


def _attempt_item_answered(item: AttemptQuestion, answer: Answer) -> None:
    now = timezone.now()
    spent = _seconds_since(item.last_shown_at, now)
    AttemptQuestion.objects.filter(pk=item.pk).update(
        answer=answer, seconds_spent=F("seconds_spent") + spent, last_shown_at=now if item.last_shown_at else None
    )


def _seconds_since(moment: object, now: object) -> int:
    if moment is None:
        return 0
    return max(0, min(MAX_SECONDS_PER_VIEW, int((now - moment).total_seconds())))  # type: ignore[operator]


def attempt_question_show(*, attempt: Attempt, item: AttemptQuestion) -> None:
    """Count time per question: the question shown before this one stops its clock, this one starts."""
    if not attempt.is_open:
        return
    now = timezone.now()
    with transaction.atomic():
        for other in AttemptQuestion.objects.select_for_update().filter(attempt=attempt, last_shown_at__isnull=False):
            if other.pk == item.pk:
                continue
            AttemptQuestion.objects.filter(pk=other.pk).update(
                seconds_spent=F("seconds_spent") + _seconds_since(other.last_shown_at, now), last_shown_at=None
            )
        AttemptQuestion.objects.filter(pk=item.pk, last_shown_at__isnull=True).update(last_shown_at=now)


@transaction.atomic
def attempt_flag(*, attempt: Attempt, item: AttemptQuestion, flagged: bool) -> None:
    """Mark a question to come back to (or clear the mark) while the attempt is open."""
    _open_or_refuse(attempt)
    AttemptQuestion.objects.filter(pk=item.pk).update(flagged=flagged)


def _attempt_close(attempt: Attempt, *, status: str) -> bool:
    """Close an open attempt (finished by the learner, or expired at its deadline); one closer wins."""
    now = timezone.now()
    finished_at = attempt.deadline if status == Attempt.Status.EXPIRED else min(now, attempt.deadline)
    closed = Attempt.objects.filter(pk=attempt.pk, status=Attempt.Status.OPEN).update(
        status=status, finished_at=finished_at
    )
    if closed:
        # Its answers' verdicts show on the question pages now (an update() sends no post_save).
        account_changed(attempt.user_id)
        for item in AttemptQuestion.objects.filter(attempt_id=attempt.pk, last_shown_at__isnull=False):
            AttemptQuestion.objects.filter(pk=item.pk).update(
                seconds_spent=F("seconds_spent") + _seconds_since(item.last_shown_at, finished_at), last_shown_at=None
            )
    return bool(closed)


def attempt_finish(*, attempt: Attempt) -> Attempt:
    """The learner pressed Finish: close the attempt (or note it expired meanwhile) and grade it."""
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.is_open:
            expired = timezone.now() >= attempt.deadline
            _attempt_close(attempt, status=Attempt.Status.EXPIRED if expired else Attempt.Status.FINISHED)
    attempt_grade(attempt=attempt)
    attempt.refresh_from_db()
    return attempt


# Verdicts that say nothing about the learner (the run could not measure, or measured on a host
# that lacked what the question needs): left out of the score instead of counted as wrong.
UNSCORED = {Answer.Verdict.ERROR, Answer.Verdict.INCONCLUSIVE}


def attempt_grade(*, attempt: Attempt, again: bool = False) -> bool:
    """Score a closed attempt once every answer in it has a final verdict; True when it did now.

    Score = right answers / scored questions, where an unanswered question counts as not right
    and an answer that could not be measured (or was inconclusive) is left out. With `again`, an
    attempt already scored is scored afresh from its answers' current verdicts.
    """
    with transaction.atomic():
        attempt = Attempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.is_open or (attempt.graded_at is not None and not again):
            return False
        rows = list(AttemptQuestion.objects.filter(attempt=attempt).values_list("answer__verdict", "answer__graded_at"))
        # An inconclusive answer still waiting for its automatic re-run is not final yet.
        if any(verdict in WAITING and graded_at is None for verdict, graded_at in rows if verdict):
            return False
        verdicts = [verdict for verdict, _ in rows]
        scored = [verdict for verdict in verdicts if verdict not in UNSCORED]
        right = sum(1 for verdict in scored if verdict == Answer.Verdict.CORRECT)
        score = round(100 * right / len(scored)) if scored else 0
        # Conditional on the score this transaction read, so two graders write it once.
        graded = Attempt.objects.filter(pk=attempt.pk, graded_at=attempt.graded_at).update(
            graded_at=timezone.now(), score_percent=score, passed=score >= attempt.pass_mark_percent
        )
        if graded:
            attempt.refresh_from_db()
            attempt_graded.send(sender=Attempt, attempt=attempt)
        return bool(graded)


def attempts_close_expired(*, owner: Owner | None = None) -> int:
    """Close and grade every open attempt past its deadline (the workers' periodic sweep).

    Also grades closed attempts left ungraded (their last run finished while the attempt was
    still open, or a worker died between storing a report and grading).
    """
    now = timezone.now()
    expired = Attempt.objects.filter(status=Attempt.Status.OPEN, deadline__lte=now)
    if owner is not None:
        expired = expired.filter(owner.q())
    closed = 0
    for attempt in expired:
        closed += _attempt_close(attempt, status=Attempt.Status.EXPIRED)
        attempt_grade(attempt=attempt)
    if owner is None:
        answers_grade_stranded()
        for attempt in Attempt.objects.filter(~Q(status=Attempt.Status.OPEN), graded_at__isnull=True):
            attempt_grade(attempt=attempt)
    return closed
