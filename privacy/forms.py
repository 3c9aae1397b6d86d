"""Forms of the privacy pages."""

from django import forms

from accounts.forms import ServiceForm
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
