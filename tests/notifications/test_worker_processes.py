"""`manage.py deliver_emails` as real worker processes against the test PostgreSQL."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from notifications.models import OutboxMessage

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]


def worker_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SENDGRID_API_KEY", "AWS_ACCESS_KEY_ID", "SMTP_URL", "REDIS_URL"}
    }
    env.update(
        DATABASE_URL=f"postgresql://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        EMAIL_DELIVERY_MODE="worker",
        PYTHONUNBUFFERED="1",
    )
    return env


def test_two_worker_processes_send_everything_once_and_stop_on_sigterm(cast: Any) -> None:
    command = [
        sys.executable,
        "manage.py",
        "deliver_emails",
        "--batch-size",
        "2",
        "--interval",
        "0.1",
    ]
    workers = [
        subprocess.Popen(
            command,
            cwd=ROOT,
            env=worker_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for _ in range(2)
    ]
    try:
        # Both are up and polling before there is anything to send; with the console
        # backend each first says that it delivers nothing.
        for worker in workers:
            warning = worker.stdout.readline()  # type: ignore[union-attr]
            assert "console (not delivered)" in warning, warning
        banners = [worker.stdout.readline() for worker in workers]  # type: ignore[union-attr]
        assert banners == ["deliver_emails: waiting for messages\n"] * 2, banners
        OutboxMessage.objects.bulk_create(
            OutboxMessage(
                tenant=cast.tenant,
                kind="notice",
                to_email=f"user{i}@acme.example",
                subject=f"notice {i}",
                text_body="t",
            )
            for i in range(30)
        )
        deadline = time.monotonic() + 30
        while OutboxMessage.objects.exclude(status="sent").exists():
            assert time.monotonic() < deadline, "workers did not send everything in 30 s"
            time.sleep(0.1)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        outputs = [worker.communicate(timeout=30) for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert all(out.endswith("deliver_emails: stopped\n") for out, _ in outputs), outputs
    # The console backend printed every message it sent: each subject exactly once.
    subjects = Counter(
        subject for out, _ in outputs for subject in re.findall(r"^Subject: (.+)$", out, re.M)
    )
    assert subjects == Counter({f"notice {i}": 1 for i in range(30)})
    assert set(OutboxMessage.objects.values_list("provider", "attempts")) == {("console", 1)}
