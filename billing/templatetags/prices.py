"""`{{ plan.price_yearly|price }}` → `$4,990`: every page writes prices one way."""

from __future__ import annotations

from decimal import Decimal

from django import template

from billing.plans import format_price

register = template.Library()


@register.filter
def price(amount: Decimal) -> str:
    return format_price(Decimal(amount))
