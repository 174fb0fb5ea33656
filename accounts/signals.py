"""Signals other apps listen to; each app moves its own rows in a receiver (see `accounts.owners`)."""

from django.dispatch import Signal

# Sent once when an anonymous visitor logs in or signs up, with kwargs `user` and `anon_key`
# (the key the visitor's anonymous rows carry). Receivers move their app's rows to the user.
anonymous_work_claimed = Signal()
