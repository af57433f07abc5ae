"""Forms of the billing pages."""

from __future__ import annotations

from django import forms

from billing.plans import INTERVALS, PLANS

INTERVAL_LABELS = {"month": "Monthly", "year": "Yearly (two months free)"}


class ChangePlanForm(forms.Form):
    plan = forms.ChoiceField(choices=[(plan.code, plan.name) for plan in PLANS])
    interval = forms.ChoiceField(
        choices=[(value, INTERVAL_LABELS[value]) for value in INTERVALS],
        initial="month",
        required=False,
    )

    def clean_interval(self) -> str:
        return self.cleaned_data.get("interval") or "month"
