"""What the tenants app announces to the apps above it, which it never imports."""

from django.dispatch import Signal

# Sent inside the transaction that stores a new invitation, with `invitation` and
# `accept_url`: the link carries the token, which exists nowhere else. notifications
# emails it; a receiver that raises rolls the invitation back.
member_invited = Signal()
