"""Signals of the accounts app. (Interim copy of the agreed seam; the structure engineer's replaces it.)"""

from django.dispatch import Signal

# Sent once when an anonymous visitor logs in or signs up; kwargs `user`, `anon_key`.
# Each app moves its own anonymous rows to the account in a receiver connected in ready().
anonymous_work_claimed = Signal()
