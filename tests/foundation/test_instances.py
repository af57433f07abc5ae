"""manage.py works before gunicorn ever ran, and two instances on one host keep their
metrics and control sockets apart."""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "PROMETHEUS_MULTIPROC_DIR")
    }
    environ.update(env)
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_manage_py_creates_a_missing_metrics_folder(tmp_path):
    metrics = tmp_path / "not-yet" / "metrics"

    result = manage("check", PROMETHEUS_MULTIPROC_DIR=str(metrics))

    assert result.returncode == 0, result.stderr[-2000:]
    assert metrics.is_dir()


def test_a_metrics_folder_that_cannot_be_created_is_named_in_the_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")

    result = manage("check", PROMETHEUS_MULTIPROC_DIR=str(blocker / "metrics"))

    assert result.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr
    assert "FileNotFoundError" not in result.stderr


def load_gunicorn_conf(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict:
    for name in ("PROMETHEUS_MULTIPROC_DIR", "GUNICORN_BIND", "GUNICORN_CONTROL_SOCKET", "PORT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    conf = runpy.run_path(str(REPO / "gunicorn.conf.py"))
    conf["metrics_dir"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    return conf


def test_two_instances_on_one_host_share_no_metrics_folder_nor_control_socket(monkeypatch):
    blue = load_gunicorn_conf(monkeypatch, PORT="8001")
    green = load_gunicorn_conf(monkeypatch, GUNICORN_BIND="127.0.0.1:8002")

    assert blue["metrics_dir"] != green["metrics_dir"]
    assert "8001" in blue["metrics_dir"] and "8002" in green["metrics_dir"]
    assert blue["control_socket"] != green["control_socket"]
    assert "8001" in blue["control_socket"] and "8002" in green["control_socket"]


def test_an_explicit_metrics_folder_and_control_socket_are_kept(monkeypatch, tmp_path):
    conf = load_gunicorn_conf(
        monkeypatch,
        PROMETHEUS_MULTIPROC_DIR=str(tmp_path / "metrics"),
        GUNICORN_CONTROL_SOCKET=str(tmp_path / "ctl"),
    )

    assert conf["metrics_dir"] == str(tmp_path / "metrics")
    assert conf["control_socket"] == str(tmp_path / "ctl")
