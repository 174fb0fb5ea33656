"""`manage.py createinstructor EMAIL`: make an account an instructor, creating it when needed.

A new account gets no password; the command prints a one-time link to set one (Django's
password-reset token, so it stops working once used or when the password changes).
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import email_normalize
from studio.access import INSTRUCTORS


class Command(BaseCommand):
    help = "Create or promote an instructor (the Instructors group); prints a password-set link for a new account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")

    def handle(self, *args: object, email: str, **options: object) -> None:
        email = email_normalize(email)
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(f"{email!r} is not an email address") from None
        User = get_user_model()
        with transaction.atomic():
            group, _ = Group.objects.get_or_create(name=INSTRUCTORS)
            user = User.objects.filter(email__iexact=email).first() or User.objects.filter(username=email).first()
            created = user is None
            if created:
                user = User.objects.create_user(username=email, email=email)
                user.set_unusable_password()
                user.save(update_fields=["password"])
            user.groups.add(group)
        if not created:
            self.stdout.write(f"{email} is an instructor now (existing account; password unchanged).")
            return
        path = reverse(
            "password_reset_confirm",
            args=[urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)],
        )
        self.stdout.write(f"Created instructor {email}. Set a password (one use) at:")
        self.stdout.write(f"{settings.SITE_URL.rstrip('/')}{path}")
