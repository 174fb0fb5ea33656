"""Sign up, log in and out, verify the address, reset or change the password, the profile page."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import backends, selectors, services
from accounts.forms import EmailAuthenticationForm, SignupForm
from accounts.owners import anon_key_keep
from accounts.tokens import user_from_verify_token
from config.ratelimit import rate_limit_allows, rate_limit_reached
from config.tokens import InvalidToken

RESEND_LIMITED_TEXT = "We sent several links in the last hour. Please wait a while and try again."
RESET_LIMITED_TEXT = "Too many password reset requests. Please wait an hour and try again."


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = services.account_create(email=form.cleaned_data["email"], password=form.cleaned_data["password1"])
        anon_key_keep(request)  # the anonymous work done before signing up follows the account
        login(request, user, backend=backends.PATH)
        messages.success(
            request, f"Welcome to Lockstep. We sent a link to {user.email}: open it to verify your address."
        )
        return redirect("profile")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.is_bound else 200)


LOGIN_LIMITED_TEXT = "Too many failed attempts to log in. Please wait a quarter of an hour and try again."
# Failed log-ins allowed per window, per typed address and per client address: enough for
# typos, far too few to guess a password.
LOGIN_FAILURES_PER_ADDRESS = 10
LOGIN_FAILURES_PER_CLIENT = 30
LOGIN_WINDOW_SECONDS = 15 * 60


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def _failure_keys(self) -> list[tuple[str, str, int]]:
        typed = services.email_normalize(self.request.POST.get("username", ""))
        client = self.request.META.get("REMOTE_ADDR", "")
        return [
            ("login-address", typed, LOGIN_FAILURES_PER_ADDRESS),
            ("login-client", client, LOGIN_FAILURES_PER_CLIENT),
        ]

    def post(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if any(
            rate_limit_reached(scope=scope, ident=ident, limit=limit) for scope, ident, limit in self._failure_keys()
        ):
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, LOGIN_LIMITED_TEXT)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: EmailAuthenticationForm) -> HttpResponse:
        anon_key_keep(self.request)  # the anonymous work done before logging in follows the account
        return super().form_valid(form)

    def form_invalid(self, form: EmailAuthenticationForm) -> HttpResponse:
        for scope, ident, limit in self._failure_keys():
            rate_limit_allows(scope=scope, ident=ident, limit=limit, window=LOGIN_WINDOW_SECONDS)
        return super().form_invalid(form)


login_view = LoginView.as_view()
logout_view = auth_views.LogoutView.as_view()


def _profile_context(request: HttpRequest) -> dict:
    # The "Launch emails" card is notifications' own ({% launch_emails_for_account %}).
    return {
        "email_address": selectors.email_address_for_user(request.user),
        "email_verified": selectors.email_verified(request.user),
    }


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/profile.html", _profile_context(request))


@login_required
@require_POST
def email_verify_resend(request: HttpRequest) -> HttpResponse:
    if not request.user.email:
        messages.error(request, "Your account has no email address to verify.")
        return HttpResponseRedirect(reverse("profile"), status=303)
    if selectors.email_verified(request.user):
        messages.info(request, "Your address is already verified.")
        return HttpResponseRedirect(reverse("profile"), status=303)
    if not rate_limit_allows(
        scope="verify", ident=str(request.user.pk), limit=settings.ACCOUNT_VERIFY_RESEND_PER_HOUR, window=3600
    ):
        messages.error(request, RESEND_LIMITED_TEXT)
        return render(request, "accounts/profile.html", _profile_context(request), status=429)
    services.email_verification_request(user=request.user)
    messages.success(request, f"We sent a new link to {request.user.email}. Open it to verify your address.")
    return HttpResponseRedirect(reverse("profile"), status=303)


@require_http_methods(["GET", "POST"])
def email_verify(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button, POST verifies: link scanners that open every URL verify nothing."""
    try:
        user = user_from_verify_token(token)
    except InvalidToken as error:
        context = {"expired": error.expired, "max_age_days": settings.ACCOUNT_VERIFY_MAX_AGE // 86400}
        return render(request, "accounts/verify_invalid.html", context, status=400)
    if request.method == "GET":
        return render(request, "accounts/verify.html", {"email": user.email, "token": token})
    services.email_verify(user=user)
    return render(request, "accounts/verify.html", {"email": user.email, "verified": True})


class PasswordResetView(auth_views.PasswordResetView):
    """The same reply for any address; the email goes out from a Celery task, after commit."""

    template_name = "accounts/password_reset.html"

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = services.email_normalize(form.cleaned_data["email"])
        ip = self.request.META.get("REMOTE_ADDR", "")
        window = settings.MAIL_REQUESTS_WINDOW_SECONDS
        if not (
            rate_limit_allows(scope="reset-ip", ident=ip, limit=settings.MAIL_REQUESTS_PER_IP, window=window)
            and rate_limit_allows(
                scope="reset-address", ident=email, limit=settings.MAIL_REQUESTS_PER_ADDRESS, window=window
            )
        ):
            form.add_error(None, RESET_LIMITED_TEXT)
            return self.render_to_response(self.get_context_data(form=form), status=429)
        services.password_reset_request(users=form.get_users(email))
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        # The link went to the account's address and dies if the address changes: its owner read it.
        services.email_verify(user=form.user)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        messages.success(self.request, "Your password is changed.")
        return super().form_valid(form)


password_reset = PasswordResetView.as_view()
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm = PasswordResetConfirmView.as_view()
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)
password_change = PasswordChangeView.as_view()
