"""scripts/dev.py, the newcomer's entry point: what it says and runs (no real apt-get)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalytic_dev_script", ROOT / "scripts/dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "CHROMIUM", tmp_path / "chromium")  # missing
    return module


@pytest.fixture
def commands(dev: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any) -> list[tuple]:
    """Every command dev.py would run, with what it had printed before it."""
    ran: list[tuple] = []

    def record(argv: list[str], **kwargs: Any) -> Any:
        ran.append((argv, capsys.readouterr().out))
        return type("Done", (), {"returncode": 0})()

    monkeypatch.setattr(dev.subprocess, "run", record)
    return ran


def as_root_with_apt(dev: ModuleType, monkeypatch: pytest.MonkeyPatch, root: bool) -> None:
    monkeypatch.setattr(dev.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setattr(dev.os, "geteuid", lambda: 0 if root else 1000)


def test_it_says_it_installs_chromium_with_apt_before_doing_so(
    dev: ModuleType, commands: list[tuple], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    as_root_with_apt(dev, monkeypatch, root=True)

    dev.ensure_chromium([])

    (update, said_before), (install, _) = commands
    assert update[:2] == ["apt-get", "update"]
    assert install[:2] == ["apt-get", "install"] and "chromium" in install
    assert "installing Debian's chromium with apt-get" in said_before
    assert '-m "not browser"' in said_before
    # This fake apt-get installed nothing: the outcome is said too.
    after = capsys.readouterr().out
    assert "could not install chromium" in after and '-m "not browser"' in after


def test_without_root_it_says_how_to_run_without_browser_tests(
    dev: ModuleType, commands: list[tuple], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    as_root_with_apt(dev, monkeypatch, root=False)

    dev.ensure_chromium([])

    assert commands == []
    said = capsys.readouterr().out
    assert "browser tests will be skipped" in said
    assert 'python3 scripts/dev.py test -m "not browser"' in said
    assert "sudo apt-get install chromium" in said


def test_it_installs_nothing_when_browser_tests_are_deselected(
    dev: ModuleType, commands: list[tuple], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    as_root_with_apt(dev, monkeypatch, root=True)

    dev.ensure_chromium(["-m", "not browser and not faults", "-q"])

    assert commands == []
    assert capsys.readouterr().out == ""


def test_it_is_silent_when_chromium_is_there(
    dev: ModuleType, commands: list[tuple], monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    dev.CHROMIUM.write_text("")
    as_root_with_apt(dev, monkeypatch, root=True)

    dev.ensure_chromium([])

    assert commands == []
    assert capsys.readouterr().out == ""


def test_the_run_ends_with_the_reasons_for_skipped_tests(dev: ModuleType) -> None:
    assert dev.pytest_args(["tests/lattices", "-q"]) == [
        "-m",
        "pytest",
        "-rs",
        "tests/lattices",
        "-q",
    ]


def test_serve_takes_the_address_to_listen_on(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    ran: list[tuple] = []
    monkeypatch.setattr(dev, "ensure_venv", lambda requirements: None)
    monkeypatch.setattr(dev, "run", lambda *args, **kwargs: ran.append(args[1:]))
    monkeypatch.setattr(dev.subprocess, "Popen", FakeWorker)

    dev.serve(["127.0.0.1:9000"])

    assert ran[-1] == ("manage.py", "runserver", "127.0.0.1:9000")
    assert "http://localhost:9000" in capsys.readouterr().out


class FakeWorker:
    started: list[FakeWorker] = []

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        self.argv = argv
        self.stopped = False
        FakeWorker.started.append(self)

    def poll(self) -> int | None:
        return 0 if self.stopped else None

    def terminate(self) -> None:
        self.stopped = True

    def wait(self, timeout: float | None = None) -> int:
        return 0


def test_serve_runs_a_job_worker_beside_the_server_and_stops_it_after(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    FakeWorker.started.clear()
    order: list[str] = []
    monkeypatch.setattr(dev, "ensure_venv", lambda requirements: None)
    monkeypatch.setattr(dev.subprocess, "Popen", FakeWorker)

    def run(*args: Any, **kwargs: Any) -> None:
        order.append(args[2])
        if args[2] == "runserver":
            assert not FakeWorker.started[0].stopped  # the worker runs while the server does
            raise KeyboardInterrupt  # the developer's Ctrl-C

    monkeypatch.setattr(dev, "run", run)

    with pytest.raises(KeyboardInterrupt):
        dev.serve([])

    (worker,) = FakeWorker.started
    assert order == ["init_db", "runserver"]
    assert worker.argv[1:6] == ["-m", "celery", "-A", "catalytic", "worker"]
    assert worker.stopped
    assert "background-job worker" in capsys.readouterr().out
