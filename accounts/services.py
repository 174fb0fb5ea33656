"""Creating accounts."""

from django.contrib.auth import get_user_model
from django.db import transaction


def account_create(*, email: str, password: str):
    with transaction.atomic():
        return get_user_model().objects.create_user(username=email, email=email, password=password)
