"""Signals the product sends for other parts of the system to act on."""

from __future__ import annotations

from django.dispatch import Signal

# Sent (with `job=`, after the transaction that stored it commits) once a background
# job has ended: succeeded, failed or cancelled. Integrators' webhooks hook it to send
# `operation.completed`.
job_finished = Signal()
