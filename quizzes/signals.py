"""Signals quizzes sends to other apps."""

from django.dispatch import Signal

# Sent once each time an answer's verdict is settled (correct, wrong, error, or inconclusive),
# inside the transaction that stored it, by every grading path: choices in the request, a
# prediction when its run finishes. kwargs: `answer` (the refreshed Answer). Review scheduling
# listens; receivers must count only correct/wrong.
answer_graded = Signal()
