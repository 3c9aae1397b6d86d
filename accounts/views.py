"""Account pages: sign-up, log-in, log-out, phone number and its code.

Each page parses a form and calls the same service as the API; a service error is
shown next to the field it concerns.
"""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import services
from accounts.forms import LogInForm, PhoneCodeForm, PhoneNumberForm, SignUpForm
from accounts.sessions import session_credential
from dmsite.addresses import client_ip
from dmsite.errors import ApiError

INBOX_URL = "/"


def safe_next_url(request, default: str) -> str:
    """Where to go next: the `next` parameter when it stays on this site, else `default`."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def sign_up(request):
    if request.user.is_authenticated:
        return redirect(INBOX_URL)
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, _ = services.user_register(**form.cleaned_data, ip=client_ip(request))
        except ApiError as error:
            form.add_service_error(error)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome! Add your phone number to start messaging.")
            return redirect("accounts:phone")
    return render(request, "accounts/sign_up.html", {"form": form})


def log_in(request):
    next_url = safe_next_url(request, INBOX_URL)
    if request.user.is_authenticated:
        return redirect(next_url)
    form = LogInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_authenticate(
                **form.cleaned_data, ip=client_ip(request), request=request
            )
        except ApiError as error:
            form.add_service_error(error)
        else:
            login(request, user)
            return redirect(next_url)
    return render(request, "accounts/log_in.html", {"form": form, "next": next_url})


@require_POST
def log_out(request):
    # The session ends, and so do the sockets it opened; the user's API tokens (their
    # apps) stay valid.
    credential = session_credential(request.session)
    if request.user.is_authenticated and credential is not None:
        services.user_logout(user=request.user, credential=credential)
    logout(request)
    return redirect("accounts:login")


@login_required
def phone(request):
    """Enter a phone number; a code is sent to it."""
    user = request.user
    initial = {"phone_number": user.phone_number} if user.phone_number else {}
    form = PhoneNumberForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            sent = services.phone_verification_start(
                user=user, phone_number=form.cleaned_data["phone_number"]
            )
        except ApiError as error:
            form.add_service_error(error)
        else:
            if not sent:
                messages.info(request, "This number is already verified.")
                return redirect("accounts:phone")
            return redirect("accounts:phone_verify")  # which says where the code went
    return render(request, "accounts/phone.html", {"form": form, "active_tab": "profile"})


@login_required
def phone_verify(request):
    """Enter the code that was sent to the pending number."""
    user = request.user
    if not user.phone_number or user.phone_verified:
        return redirect("accounts:phone")
    form = PhoneCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.phone_verification_confirm(user=user, code=form.cleaned_data["code"])
        except ApiError as error:
            form.add_service_error(error)
        else:
            messages.success(request, "Your phone number is verified. You can send messages now.")
            return redirect(INBOX_URL)
    return render(request, "accounts/phone_verify.html", {"form": form, "active_tab": "profile"})
