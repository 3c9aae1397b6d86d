"""Forms of the privacy pages."""

from django import forms

from accounts.forms import ServiceForm, clean_text
from privacy.models import DmPreference


class PrivacySettingsForm(ServiceForm):
    dm_preference = forms.ChoiceField(
        label="Who can send you direct messages",
        choices=DmPreference.choices,
        widget=forms.RadioSelect,
    )
    read_receipts = forms.BooleanField(
        label="Read receipts",
        required=False,
        help_text="Show “Seen” when you have read a message. You see it for others only "
        "where both of you turned this on.",
    )
    filter_requests = forms.BooleanField(
        label="Filter message requests",
        required=False,
        help_text="Requests with offensive words, or words you hide below, go to Filtered "
        "requests, without a notification. Always on under 18.",
    )
    hidden_words = forms.CharField(
        label="Hidden words",
        required=False,
        max_length=6000,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        help_text="One word or phrase a line, up to 100. Requests containing them are "
        "filtered. Friends and people you've written to are never filtered.",
    )

    def __init__(self, *args, minor: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if minor:
            self.fields["filter_requests"].disabled = True

    def clean_hidden_words(self) -> list[str]:
        text = clean_text(self.cleaned_data["hidden_words"], multiline=True)
        # Blank lines are only spacing here; the service checks every word.
        return [line.strip() for line in text.splitlines() if line.strip()]
