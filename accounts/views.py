"""Sign up, log in, log out and the profile page (where launch emails are managed)."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from accounts.forms import EmailAuthenticationForm, SignupForm
from accounts.services import account_create
from notifications import selectors as notification_selectors
from notifications.consent import current_consent
from notifications.forms import AccountSubscribeForm


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("profile")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = account_create(email=form.cleaned_data["email"], password=form.cleaned_data["password1"])
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, "Welcome to Lockstep.")
        return redirect("profile")
    return render(request, "accounts/signup.html", {"form": form}, status=400 if form.is_bound else 200)


login_view = auth_views.LoginView.as_view(
    template_name="accounts/login.html", authentication_form=EmailAuthenticationForm, redirect_authenticated_user=True
)
logout_view = auth_views.LogoutView.as_view()


@login_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    subscriber = notification_selectors.subscriber_for_user(request.user)
    subscribed = subscriber is not None and subscriber.is_confirmed
    form = AccountSubscribeForm(initial={"track": subscriber.track if subscribed else None, "source": "account"})
    context = {
        "subscriber": subscriber,
        "subscribed": subscribed,
        "form": form,
        "consent_text": current_consent()[1],
    }
    return render(request, "accounts/profile.html", context)
