"""The moderation panel's log-in: throttled like every log-in, and a second factor for staff.

Moderators read report evidence of private messages and deactivate accounts, so
their log-in asks for a TOTP code (django-otp) after the password, and the admin
serves only sessions verified that way (`OTPAdminSite`). A staff member without a
TOTP device cannot log in to it at all. The password goes through
`accounts.services.user_authenticate`, the one throttled check of every log-in
(finding 2: the admin had none); wrong codes are throttled by django-otp itself.
"""

from django import forms
from django_otp import devices_for_user
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from accounts.errors import InvalidCredentials
from accounts.services import user_authenticate
from dmsite.addresses import client_ip
from dmsite.errors import TooManyAttempts


class ModerationLoginForm(OTPAdminAuthenticationForm):
    def _chosen_device(self, user):
        """The chosen device, or the only one: one authenticator needs no choosing."""
        device = super()._chosen_device(user)
        if device is None and not self.cleaned_data.get("otp_device"):
            devices = list(devices_for_user(user, confirmed=True, for_verify=True))
            if len(devices) == 1:
                device = devices[0]
        return device

    def clean(self):
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            try:
                self.user_cache = user_authenticate(
                    username=username,
                    password=password,
                    ip=client_ip(self.request),
                    request=self.request,
                )
            except TooManyAttempts as limited:
                raise forms.ValidationError(
                    f"Too many attempts. Try again in {limited.retry_after} seconds.",
                    code="too_many_attempts",
                ) from None
            except InvalidCredentials:
                raise self.get_invalid_login_error() from None
            self.confirm_login_allowed(self.user_cache)
        self.clean_otp(self.user_cache)
        return self.cleaned_data


class ModerationAdminSite(OTPAdminSite):
    login_form = ModerationLoginForm
