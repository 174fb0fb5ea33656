"""Signals quizzes sends to other apps."""

from django.dispatch import Signal

# Sent once each time an answer's verdict is settled (correct, wrong, error, or inconclusive),
# inside the transaction that stored it, by every grading path: choices in the request, a
# prediction when its run finishes. kwargs: `answer` (the refreshed Answer). Review scheduling
# listens; receivers must count only correct/wrong.
answer_graded = Signal()

# Sent once when a closed attempt gets its score (every answer in it final), inside that
# transaction. kwargs: `attempt`. Review schedules an `end`-feedback attempt's answers here,
# not as each is graded: mid-attempt, a growing review count would give verdicts away.
attempt_graded = Signal()
