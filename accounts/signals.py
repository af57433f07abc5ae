"""Signals other apps act on; accounts knows nothing of who listens (apps depend one way)."""

from django.dispatch import Signal

# Sent after a PasswordResetRequest row commits. The email app answers it by looking at
# the request soon after (at once where email is delivered inline, else in its worker).
password_reset_requested = Signal()

# Sent inside the transaction that erases an account, before anything is erased, with
# `email` and `name`: the person's last email must be queued while the address is known.
# notifications sends it; a receiver that raises rolls the deletion back.
account_deleting = Signal()

# Sent inside the transaction that turns a person's two-factor sign-in on or off, or
# spends one of their recovery codes, with `user`, `event` ("enabled", "disabled",
# "recovery_code_used") and, for the last, `left`: notifications emails the person.
two_factor_changed = Signal()
# Sent inside the transaction that asks a person to prove an address, with `user`,
# `email` (where the link goes) and `url`: notifications queues the email in that
# transaction, so a rollback sends nothing.
email_verification_requested = Signal()

# Sent inside the transaction of an email change request, with `user`, `new_email`,
# `confirm_url`: the link goes to the new address, a notice to the old one (user.email).
email_change_requested = Signal()
