from __future__ import annotations

from django import forms

from catalytic.page_errors import ServiceErrorFormMixin
from tenants.events import EVENT_TYPES


class EndpointForm(ServiceErrorFormMixin, forms.Form):
    url = forms.URLField(label="Endpoint URL", max_length=2000, assume_scheme="https")
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )
    description = forms.CharField(max_length=200, required=False)
