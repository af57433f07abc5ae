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


@pytest.mark.parametrize(
    ("address", "site"),
    [
        ("127.0.0.1:8101", "http://localhost:8101"),
        ("0.0.0.0:9000", "http://localhost:9000"),
        ("lattice.test:8000", "http://lattice.test:8000"),
        ("8200", "http://localhost:8200"),
    ],
)
def test_serve_links_emails_to_the_address_it_serves_on(
    dev: ModuleType, commands: list[tuple], monkeypatch: pytest.MonkeyPatch, address, site
) -> None:
    monkeypatch.setattr(dev, "ensure_venv", lambda requirements: None)
    monkeypatch.setattr(dev.subprocess, "Popen", FakeWorker)
    monkeypatch.delenv("SITE_URL", raising=False)
    ran: list[dict] = []
    monkeypatch.setattr(
        dev.subprocess,
        "run",
        lambda argv, **kwargs: ran.append(kwargs["env"]) or type("Done", (), {"returncode": 0})(),
    )

    dev.serve([address])

    assert [env["SITE_URL"] for env in ran] == [site, site]  # init_db, then runserver
    assert FakeWorker.started[-1].env["SITE_URL"] == site  # the job worker's emails too


def test_serve_keeps_a_site_url_that_is_set(
    dev: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(dev, "ensure_venv", lambda requirements: None)
    monkeypatch.setattr(dev.subprocess, "Popen", FakeWorker)
    monkeypatch.setenv("SITE_URL", "https://catalytic.example.com")
    ran: list[dict] = []
    monkeypatch.setattr(
        dev.subprocess,
        "run",
        lambda argv, **kwargs: ran.append(kwargs["env"]) or type("Done", (), {"returncode": 0})(),
    )

    dev.serve(["127.0.0.1:8101"])

    assert {env["SITE_URL"] for env in ran} == {"https://catalytic.example.com"}


class FakeWorker:
    started: list[FakeWorker] = []

    def __init__(self, argv: list[str], **kwargs: Any) -> None:
        self.argv = argv
        self.env = kwargs.get("env") or {}
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
