"""STAND-IN from the review branch (see accounts/owners.py): take the structure branch's version."""

from django.dispatch import Signal

# Sent once when an anonymous visitor logs in or signs up. kwargs: `user`, `anon_key`.
anonymous_work_claimed = Signal()
