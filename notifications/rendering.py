"""Render an email kind from its three templates, with absolute links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string

# Stripe's zero- and three-decimal currencies; everything else has two decimals.
_ZERO_DECIMAL = {
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
    "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
}  # fmt: skip
_THREE_DECIMAL = {"BHD", "JOD", "KWD", "OMR", "TND"}


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def absolute_url(path_or_url: str) -> str:
    """A link that works from a mail client: absolute, built on settings.SITE_URL."""
    if urlsplit(path_or_url).scheme in ("http", "https", "mailto"):
        return path_or_url
    return f"{settings.SITE_URL.rstrip('/')}/{path_or_url.lstrip('/')}"


def format_amount(amount_cents: int, currency: str) -> str:
    """`1234, "usd"` → `12.34 USD`, honouring currencies without minor units."""
    code = currency.upper()
    if code in _ZERO_DECIMAL:
        return f"{amount_cents:,} {code}"
    places = 3 if code in _THREE_DECIMAL else 2
    value = Decimal(amount_cents) / (10**places)
    return f"{value:,.{places}f} {code}"


def support_email() -> str:
    return settings.SUPPORT_EMAIL


def render_email(kind: str, context: dict[str, Any]) -> Rendered:
    """Render templates/emails/<kind>_subject.txt, <kind>.txt and <kind>.html."""
    full = {
        "site_name": "Catalytic",
        "site_url": settings.SITE_URL.rstrip("/"),
        "support_email": support_email(),
        "support_url": f"mailto:{support_email()}",
        **context,
    }
    subject = render_to_string(f"emails/{kind}_subject.txt", full)
    # A subject is one header line: newlines from a template or context never reach it.
    subject = re.sub(r"\s+", " ", subject).strip()
    text = render_to_string(f"emails/{kind}.txt", full).strip() + "\n"
    html = render_to_string(f"emails/{kind}.html", full)
    return Rendered(subject=subject, text=text, html=html)
