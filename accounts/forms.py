"""Forms of the account pages: they parse input; the services decide and raise typed errors."""

from django import forms

from accounts.models import username_validator
from dmsite.errors import ApiError
from dmsite.fields import text_problem


class ServiceForm(forms.Form):
    """A form that shows a service's error (an `ApiError`) next to the field it concerns."""

    # The SPEC code of a service error → the field it belongs to (None: the whole form).
    error_fields: dict[str, str] = {}

    def add_service_error(self, error: ApiError) -> None:
        if error.fields:
            for name, messages in error.fields.items():
                field = name if name in self.fields else None
                self.add_error(field, messages if isinstance(messages, list) else [messages])
            return
        self.add_error(self.error_fields.get(error.code), str(error.detail))


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Refuse what the API refuses in text (control characters, lone surrogates)."""
    problem = text_problem(value, multiline=multiline)
    if problem:
        raise forms.ValidationError(problem)
    return value


class SignUpForm(ServiceForm):
    username = forms.CharField(
        max_length=24,
        validators=[username_validator],
        help_text="2 to 24 letters, digits, underscores and dots.",
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    display_name = forms.CharField(
        label="Name",
        max_length=50,
        required=False,
        help_text="Optional: how people see you.",
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        input_formats=["%Y-%m-%d"],
        help_text="You cannot change it later.",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}, format="%Y-%m-%d"),
    )
    password = forms.CharField(
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    error_fields = {
        "username_taken": "username",
        "age_too_young": "date_of_birth",
    }

    def clean_display_name(self) -> str:
        return clean_text(self.cleaned_data["display_name"])


class LogInForm(ServiceForm):
    username = forms.CharField(
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"}
        ),
    )
    password = forms.CharField(
        max_length=128,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class PhoneNumberForm(ServiceForm):
    phone_number = forms.CharField(
        max_length=32,
        help_text="With your country code, for example +44 7400 123456.",
        widget=forms.TextInput(
            attrs={"type": "tel", "autocomplete": "tel", "placeholder": "+44 7400 123456"}
        ),
    )

    error_fields = {"invalid_phone_number": "phone_number", "phone_in_use": "phone_number"}

    def clean_phone_number(self) -> str:
        return clean_text(self.cleaned_data["phone_number"])


class PhoneCodeForm(ServiceForm):
    code = forms.RegexField(
        regex=r"^[0-9]{6}\Z",
        label="Verification code",
        error_messages={"invalid": "The code is 6 digits."},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "maxlength": "6",
                "pattern": "[0-9]{6}",
            }
        ),
    )

    error_fields = {"invalid_code": "code", "code_expired": "code", "too_many_attempts": "code"}
