"""Forms of the team pages. Who may grant which role is the services' rule; the role
choices offered here only hide what the service would refuse anyway."""

from __future__ import annotations

from typing import Any

from django import forms

from catalytic.page_errors import ServiceErrorFormMixin
from tenants.models import Role


def role_choices(actor_role: str) -> list[tuple[str, str]]:
    """Owner is offered to owners only (tenants.services refuses it from anyone else)."""
    return [
        (value, label)
        for value, label in Role.choices
        if value != Role.OWNER or actor_role == Role.OWNER
    ]


class InviteForm(ServiceErrorFormMixin, forms.Form):
    email = forms.EmailField(
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text="New people get an email with a link; people who already have an account "
        "join at once.",
    )
    role = forms.ChoiceField(initial=Role.MEMBER)

    code_fields = {"already_member": "email", "owner_required": "role"}

    def __init__(self, actor_role: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(actor_role)
        self.fields["role"].help_text = (
            "Viewers read; members also create and compute; admins also manage the team, "
            "API keys and billing."
        )


class RoleForm(forms.Form):
    role = forms.ChoiceField(choices=Role.choices)


class WorkspaceSettingsForm(forms.Form):
    """What owners and admins may change on the workspace settings page; the rules are
    tenants.services.update_tenant's, as for `PATCH /api/tenants/current`."""

    name = forms.CharField(label="Workspace name", max_length=200)
    billing_email = forms.EmailField(
        label="Billing email",
        max_length=254,
        help_text="Receipts, failed payments and trial reminders go here and to the owners.",
    )

    def clean_billing_email(self) -> str:
        return self.cleaned_data["billing_email"].strip().lower()
