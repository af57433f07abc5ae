"""Forms of the account pages: login, password reset, account, API keys.

They check what a form can (required fields, email syntax, the two passwords match, the
password validators); every rule about accounts and tenants is the services'.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation

from accounts.models import ApiKey, User
from catalytic.page_errors import ServiceErrorFormMixin


class NewPasswordMixin:
    """Two password fields that must match (and pass the validators, unless the service
    the form feeds checks them itself: then its message is shown at the field)."""

    password_user_fields = ("email", "first_name", "last_name")
    run_validators = False

    def _password_user(self) -> User:
        data = self.cleaned_data  # type: ignore[attr-defined]
        return User(**{name: data.get(name) or "" for name in self.password_user_fields})

    def clean_password2(self) -> str:
        data = self.cleaned_data  # type: ignore[attr-defined]
        password1, password2 = data.get("password1"), data.get("password2")
        if password1 and password2 and password1 != password2:
            raise forms.ValidationError("The two passwords do not match.")
        if password2 and self.run_validators:
            password_validation.validate_password(password2, self._password_user())
        return password2


def password_field(label: str, autocomplete: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=4096,
        help_text=help_text,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete}),
    )


PASSWORD_HELP = "At least 8 characters; not a common password and not only digits."


class LoginForm(ServiceErrorFormMixin, forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True})
    )
    password = password_field("Password", "current-password")


class PasswordResetRequestForm(forms.Form):
    email = forms.EmailField(
        max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )


class SetPasswordForm(NewPasswordMixin, ServiceErrorFormMixin, forms.Form):
    password1 = password_field("New password", "new-password", PASSWORD_HELP)
    password2 = password_field("New password again", "new-password")

    field_map = {"new_password": "password2"}


class AcceptNewUserForm(NewPasswordMixin, ServiceErrorFormMixin, forms.Form):
    """Accepting an invitation as someone new: a name and a password."""

    first_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    password1 = password_field("Choose a password", "new-password", PASSWORD_HELP)
    password2 = password_field("Password again", "new-password")

    field_map = {"password": "password2"}

    def __init__(self, email: str, *args: Any, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def password(self) -> str:
        return self.cleaned_data["password2"]


class AcceptExistingUserForm(ServiceErrorFormMixin, forms.Form):
    """Accepting an invitation with an account that already exists: prove it."""

    password1 = password_field("Your current password", "current-password")

    field_map = {"password": "password1"}
    code_fields = {"invalid_credentials": "password1"}

    def __init__(self, email: str, *args: Any, **kwargs: Any) -> None:
        self.email = email
        super().__init__(*args, **kwargs)

    def password(self) -> str:
        return self.cleaned_data["password1"]


class ChangePasswordForm(NewPasswordMixin, ServiceErrorFormMixin, forms.Form):
    prefix = "pw"
    current_password = password_field("Current password", "current-password")
    password1 = password_field("New password", "new-password", PASSWORD_HELP)
    password2 = password_field("New password again", "new-password")


class ChangeEmailForm(ServiceErrorFormMixin, forms.Form):
    prefix = "em"
    email = forms.EmailField(
        label="New email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password = password_field("Current password", "current-password")


class DeleteAccountForm(ServiceErrorFormMixin, forms.Form):
    prefix = "del"
    password = password_field("Current password", "current-password")


class ApiKeyForm(ServiceErrorFormMixin, forms.Form):
    name = forms.CharField(max_length=100, help_text="What uses this key, e.g. “nightly import”.")
    scope = forms.ChoiceField(
        choices=ApiKey.Scope.choices,
        initial=ApiKey.Scope.READ,
        widget=forms.RadioSelect,
        help_text="Read-only keys can list and look; read-and-write keys act like a member.",
    )
    expires_at = forms.DateField(
        label="Expires on",
        required=False,
        help_text="Optional. The key stops working at the start of this day (UTC).",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
