"""Production finds missing JWT signing keys at start, not with its first customer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from accounts.jwt_keys import reset_keyring

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def production_env(tmp_path: Path) -> dict[str, str]:
    keep = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "CATALYTIC_TESTING"}
    }
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "catalytic.settings",
        "DEBUG": "false",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "catalytic.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "JWT_KEYS_DIR": str(tmp_path / "no-keys"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "1",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
        "GUNICORN_CONTROL_SOCKET": str(tmp_path / "gunicorn.ctl"),
    }


def run_in_production(tmp_path: Path, *command: Any) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_production_command_refuses_to_start_without_jwt_keys(tmp_path):
    result = run_in_production(
        tmp_path, BIN / "gunicorn", "-c", "gunicorn.conf.py", "catalytic.wsgi"
    )

    assert result.returncode != 0
    assert "JWT signing keys cannot be loaded" in result.stderr
    assert "JWT_PRIVATE_KEY_PATH" in result.stderr
    assert str(tmp_path / "no-keys") in result.stderr


def test_check_deploy_reports_missing_jwt_keys(tmp_path):
    result = run_in_production(
        tmp_path, sys.executable, "manage.py", "check", "--deploy", "--tag", "startup"
    )

    assert result.returncode != 0
    assert "accounts.E001" in result.stderr + result.stdout


@pytest.mark.django_db
def test_health_is_unhealthy_while_no_token_can_be_signed(client, settings, tmp_path):
    settings.DEBUG = False
    settings.JWT_PRIVATE_KEY_PATH = str(tmp_path / "missing.private.pem")
    reset_keyring()
    try:
        response = client.get("/health")
    finally:
        reset_keyring()

    assert response.status_code == 503
    assert response.json()["status"] == "unhealthy"
    assert response.json()["startup_checks"] == {"passed": False, "failed": ["accounts.E001"]}
