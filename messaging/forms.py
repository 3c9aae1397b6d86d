"""Forms of the chat pages: they parse input; the send service owns the message rules."""

from django import forms

from accounts.forms import ServiceForm, clean_text
from dmsite.fields import db_id_from_text


class MessageForm(ServiceForm):
    """The composer. Empty and too-long bodies are the send service's errors, not the form's."""

    body = forms.CharField(
        label="Message",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 1, "placeholder": "Send a message…", "autocomplete": "off"}
        ),
    )
    client_id = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    # Ids of uploads made by the page's script (POST /api/v1/attachments); the send
    # service checks them.
    attachments = forms.Field(required=False, widget=forms.MultipleHiddenInput)

    def clean_attachments(self) -> list[int]:
        ids = [db_id_from_text(value) for value in self.data.getlist("attachments")]
        if None in ids:
            raise forms.ValidationError("Attach only your own uploads.")
        return ids

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # No `maxlength`: the browser would cut a long paste silently. The page counts
        # characters near DM_MAX_LENGTH and the send service refuses a longer message.
        self.fields["body"].widget.attrs["aria-describedby"] = "composer-error char-counter"


class SearchForm(forms.Form):
    q = forms.CharField(
        label="Search people",
        max_length=50,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Search",
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )

    def clean_q(self) -> str:
        return clean_text(self.cleaned_data["q"]).strip()
