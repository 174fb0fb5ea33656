"""The account emails: verify your address, reset your password."""

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.tokens import verify_token


def _message(template: str, *, to: str, context: dict) -> EmailMultiAlternatives:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"accounts/email/{template}_subject.txt", context).split())
    text = render_to_string(f"accounts/email/{template}.txt", context)
    html = render_to_string(f"accounts/email/{template}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [to])
    message.attach_alternative(html, "text/html")
    return message


def verification_message(user: User) -> EmailMultiAlternatives:
    url = settings.SITE_URL + reverse("email_verify", args=[verify_token(user)])
    context = {"email": user.email, "verify_url": url, "expires_days": settings.ACCOUNT_VERIFY_MAX_AGE // 86400}
    return _message("verify", to=user.email, context=context)


def password_reset_message(user: User) -> EmailMultiAlternatives:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})
    context = {
        "email": user.email,
        "reset_url": settings.SITE_URL + path,
        "expires_days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    return _message("password_reset", to=user.email, context=context)
