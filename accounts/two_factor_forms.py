"""Forms of the two-factor pages: a code, and a password with a code."""

from __future__ import annotations

from django import forms

from accounts.forms import password_field
from catalytic.page_errors import ServiceErrorFormMixin


class CodeForm(ServiceErrorFormMixin, forms.Form):
    code_fields = {"otp_invalid": "code", "otp_required": "code"}

    code = forms.CharField(
        label="Code",
        max_length=64,
        help_text="The 6-digit code your authenticator app shows, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class FirstCodeForm(CodeForm):
    """Confirming a new authenticator: there are no recovery codes yet."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["code"].help_text = "The 6-digit code your authenticator app shows now."


class DisableForm(CodeForm):
    prefix = "off"
    code_fields = {**CodeForm.code_fields, "invalid_credentials": "password"}

    password = password_field("Current password", "current-password")
    field_order = ["password", "code"]

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["code"].widget.attrs.pop("autofocus", None)
