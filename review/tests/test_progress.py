"""/progress/: accuracy by section and belief, calibration, timing bias; only the learner's own answers."""

import pytest

from accounts.owners import Owner
from quizzes.models import Answer, Question
from review.progress import progress_for

pytestmark = pytest.mark.django_db


def settle(user, slug: str, verdict: str, confidence: str = "think", **fields) -> Answer:
    question = Question.objects.get(slug=slug)
    if not question.is_prediction and "selected" not in fields:
        fields["selected"] = [question.choices.get(correct=verdict == "correct").pk]
    return Answer.objects.create(question=question, user=user, verdict=verdict, confidence=confidence, **fields)


def test_calibration_counts_each_confidence_level_from_known_answers(learner, bank):
    for verdict in ["correct", "correct", "correct", "wrong", "wrong"]:
        settle(learner, "gil-one-thread", verdict, "sure")
    settle(learner, "cores-used", "correct", "guess")
    settle(learner, "cores-used", "wrong", "guess")
    # Runs that measured nothing never count, whatever the confidence.
    settle(learner, "sleep-zero-race", "error", "sure", prediction="never")
    settle(learner, "sleep-zero-race", "pending", "sure", prediction="never")

    figures = progress_for(Owner(user_id=learner.pk))

    rows = {row.confidence: (row.tally.right, row.tally.total) for row in figures.calibration}
    assert rows == {"sure": (3, 5), "think": (0, 0), "guess": (1, 2)}
    assert figures.calibration_sentence.startswith(
        "When you are sure you are right 60% of the time and when you are guessing you are right 50% of the time"
    )
    assert figures.answered == 7


def test_the_page_shows_the_chart_the_sentence_and_the_beliefs_still_held(client, learner, bank):
    settle(
        learner,
        "gil-one-thread",
        "wrong",
        "sure",
        selected=[Question.objects.get(slug="gil-one-thread").choices.get(correct=False).pk],
    )
    settle(
        learner,
        "race-seen-safe",
        "wrong",
        "think",
        selected=[Question.objects.get(slug="race-seen-safe").choices.get(correct=False).pk],
    )
    settle(learner, "race-seen-safe", "correct", "sure")
    client.force_login(learner)

    page = client.get("/progress/").text

    assert "When you are sure you are right 50% of the time" in page
    assert page.count("<svg") == 1
    assert "You still believe:</strong> “More threads make pure-Python number crunching faster”" in page
    assert "You used to believe:</strong> “If a race never showed up, the code is safe”" in page
    assert 'href="/questions/gil-one-thread/"' in page
    # Per section: why-locks holds both questions, 1 right of 3.
    assert "33% <span" in page


def test_sections_split_practice_from_attempts_and_follow_the_lesson_order(learner, bank):
    settle(learner, "cores-used", "correct")
    settle(learner, "gil-one-thread", "wrong")
    settle(learner, "race-seen-safe", "correct")

    sections = progress_for(Owner(user_id=learner.pk)).sections

    assert [(row.title, row.practice.right, row.practice.total) for row in sections] == [
        ("Why locks", 1, 2),
        ("Timing", 1, 1),
    ]


def test_timing_predictions_show_optimism_about_threads_and_races(learner, bank):
    # Predicted threads faster than measured (twice), and once right.
    settle(learner, "threads-vs-sequential", "wrong", prediction="faster", measured_bucket="same")
    settle(learner, "threads-vs-sequential", "wrong", prediction="faster", measured_bucket="same")
    settle(learner, "threads-vs-sequential", "correct", prediction="same", measured_bucket="same")
    # Predicted no lost updates where every run lost some: optimistic too.
    settle(learner, "sleep-zero-race", "wrong", prediction="never", measured_bucket="every-time")

    bias = {
        (row.kind, row.subject): (row.optimistic, row.matched, row.pessimistic)
        for row in progress_for(Owner(user_id=learner.pk)).bias
    }

    assert bias == {("ratio", "threads"): (2, 1, 0), ("race", "lost updates"): (1, 0, 0)}


def test_a_learner_never_sees_another_learners_progress(client, learner, stranger, bank):
    settle(
        learner,
        "gil-one-thread",
        "wrong",
        "sure",
        selected=[Question.objects.get(slug="gil-one-thread").choices.get(correct=False).pk],
    )
    client.force_login(stranger)

    page = client.get("/progress/").text

    assert "Nothing here yet" in page
    assert "You still believe" not in page


def test_an_anonymous_visitor_sees_only_their_session_s_answers(client, learner, bank):
    settle(learner, "gil-one-thread", "wrong")
    assert "Nothing here yet" in client.get("/progress/").text

    client.post(
        "/questions/cores-used/", {"choice": Question.objects.get(slug="cores-used").choices.get(correct=False).pk}
    )
    page = client.get("/progress/").text

    assert "From your 1 answered question." in page
    assert 'href="/questions/cores-used/"' in page
    assert 'href="/questions/gil-one-thread/"' not in page


def rows(**levels):
    from review.progress import CalibrationRow, Tally

    return [CalibrationRow(level, level, Tally(*levels.get(level, (0, 0)))) for level in ("sure", "think", "guess")]


@pytest.mark.parametrize(
    ("levels", "meaning"),
    [
        ({"sure": (9, 10)}, "your certainty is well founded"),
        ({"sure": (1, 2), "guess": (3, 4)}, "being sure does not yet tell you that you are right"),
        ({"sure": (7, 10), "guess": (1, 4)}, "treat “sure” as “probably” and check your reasoning"),
        ({"think": (1, 2)}, "answer “sure” when you feel certain"),
    ],
)
def test_the_calibration_sentence_says_what_the_figures_mean(levels, meaning):
    from review.progress import calibration_sentence

    assert meaning in calibration_sentence(rows(**levels))


def test_no_answers_no_sentence():
    from review.progress import calibration_sentence

    assert calibration_sentence(rows()) == ""


@pytest.mark.parametrize(
    ("variant", "subject"),
    [
        ("threads", "threads"),
        ("thread_pool", "threads"),
        ("four_processes", "processes"),
        ("process_pool", "processes"),
        ("spawn", "processes"),
        ("asyncio", "asyncio"),
        ("blocking_coroutines", "asyncio"),
        ("numpy_vectorised", "numpy vectorised"),
    ],
)
def test_timing_subjects_come_from_the_numerator_variant(variant, subject):
    from review.progress import timing_subject

    assert timing_subject(variant) == subject


def test_the_figures_take_the_same_few_queries_however_many_answers(learner, bank, django_assert_num_queries):
    for _ in range(40):
        settle(
            learner,
            "gil-one-thread",
            "wrong",
            selected=[Question.objects.get(slug="gil-one-thread").choices.get(correct=False).pk],
        )
        settle(learner, "threads-vs-sequential", "wrong", prediction="faster", measured_bucket="same")

    # Answers, their questions (with lesson and track), the questions' choices, the beliefs, attempts.
    with django_assert_num_queries(5):
        figures = progress_for(Owner(user_id=learner.pk))
        [row.url for row in figures.sections]

    assert figures.answered == 80
