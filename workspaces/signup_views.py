"""The sign-up page: a new workspace, its owner and its plan, then a signed-in session;
and the page where a person whose workspaces are all gone starts a new one.

It lives in billing because it offers the plans and starts the subscription.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.forms import PASSWORD_HELP, NewPasswordMixin, password_field
from accounts.views import over_limit, start_page_session
from billing.models import Plan
from billing.plans import DEFAULT_PLAN_CODE, format_price
from catalytic.errors import ServiceError
from catalytic.page_errors import ServiceErrorFormMixin, page_status
from workspaces.signup import register_tenant, start_workspace


class SignupForm(NewPasswordMixin, ServiceErrorFormMixin, forms.Form):
    # register_tenant() takes a checked password (the API's RegisterSerializer checks it).
    run_validators = True

    company_name = forms.CharField(
        label="Company or team name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    first_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(
        label="Work email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"})
    )
    password1 = password_field("Password", "new-password", PASSWORD_HELP)
    password2 = password_field("Password again", "new-password")
    plan = forms.ModelChoiceField(
        queryset=Plan.objects.none(),
        to_field_name="code",
        empty_label=None,
        widget=forms.RadioSelect,
        help_text="Paid plans start with a free trial; you choose how to pay later.",
    )

    field_map = {"email": "email", "company_name": "company_name", "password": "password1"}
    code_fields = {"email_taken": "email"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plan_field = self.fields["plan"]
        plan_field.queryset = Plan.objects.filter(is_active=True).order_by("sort_order")
        plan_field.label_from_instance = _plan_label
        if not self.is_bound and "plan" not in self.initial:
            self.initial["plan"] = DEFAULT_PLAN_CODE


def _plan_label(plan: Plan) -> str:
    if not plan.is_paid:
        return f"{plan.name}: free forever"
    trial = f", {plan.trial_days}-day free trial" if plan.trial_days else ""
    return f"{plan.name}: {format_price(plan.price_monthly)} a month{trial}"


@sensitive_post_parameters("password1", "password2")
@never_cache
def signup(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = SignupForm(request.POST)
        status = 400
        email = request.POST.get("email")
        if over_limit(request, form, "register", email, settings.RATELIMIT_REGISTER):
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                membership = register_tenant(
                    company_name=data["company_name"],
                    email=data["email"],
                    password=data["password2"],
                    first_name=data["first_name"],
                    last_name=data["last_name"],
                    plan_code=data["plan"].code,
                    request=request,
                )
            except ServiceError as exc:
                form.add_service_error(exc, form.field_map)
                status = exc.status
            else:
                start_page_session(request, membership)
                messages.success(request, f"Welcome to Catalytic, {membership.tenant.name}!")
                return redirect("lattices:dashboard")
        return render(request, "workspaces/signup.html", {"form": form}, status=status)
    initial = {}
    if request.GET.get("plan"):
        initial["plan"] = request.GET["plan"]
    return render(request, "workspaces/signup.html", {"form": SignupForm(initial=initial)})


class NewWorkspaceForm(ServiceErrorFormMixin, forms.Form):
    company_name = forms.CharField(
        label="Company or team name",
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )

    code_fields = {"has_workspace": "company_name"}


@login_required
@never_cache
def new_workspace(request: HttpRequest) -> HttpResponse:
    """A new workspace, on Free, for a signed-in person whose workspaces are all gone."""
    form = NewWorkspaceForm()
    status = 200
    if request.method == "POST":
        form = NewWorkspaceForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                membership = start_workspace(
                    user=request.user,
                    company_name=form.cleaned_data["company_name"],
                    request=request,
                )
            except ServiceError as exc:
                form.add_service_error(exc)
                status = page_status(exc)
            else:
                start_page_session(request, membership)
                messages.success(request, f"Welcome back: {membership.tenant.name} is ready.")
                return redirect("lattices:dashboard")
    return render(request, "workspaces/new_workspace.html", {"form": form}, status=status)
