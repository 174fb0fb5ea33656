"""Whether an account's owner proved they read its email address."""

from django.conf import settings
from django.db import models


def email_normalize(email: str) -> str:
    """How every stored, compared, hashed or rate-limited address is written, in both apps.

    One definition: two spellings would let one person hold two rows, or two rate-limit counters.
    """
    return email.strip().lower()


class EmailAddress(models.Model):
    """The address a verification link was last sent for, and when its owner opened it.

    No row (accounts from before verification existed, `createsuperuser`) means not verified.
    The row counts only while `email` is still the account's address: a changed address must be
    verified again.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_address")
    # Stored lowercased, like the username.
    email = models.EmailField(max_length=254)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # When a link was last asked for (sign-up or the profile's resend button).
    last_requested_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "email address"
        verbose_name_plural = "email addresses"

    def __str__(self) -> str:
        return self.email

    def is_verified_for(self, email: str) -> bool:
        return self.verified_at is not None and self.email == email_normalize(email)
