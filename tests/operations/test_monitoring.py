"""The shipped alert rules and dashboard read metrics the app really exports, and pass
Prometheus's own checks (docs/deploy.md, "Monitoring and alerts")."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.operations.metric_names import PROMETHEUS_OWN, exported_names, referenced_names

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
DASHBOARD = ROOT / "deploy" / "grafana" / "catalytic.json"

pytestmark = pytest.mark.django_db


def rules() -> list[dict[str, Any]]:
    document = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    return [target["expr"] for panel in panels for target in panel["targets"]]


def test_every_metric_the_alerts_read_is_one_the_app_exports(scrape: str) -> None:
    exported = exported_names(scrape) | PROMETHEUS_OWN
    recorded = {rule["record"] for rule in rules() if "record" in rule}
    for rule in rules():
        names = referenced_names(rule["expr"])
        assert names, f"no metric found in {rule['expr']!r}"
        missing = names - exported - recorded
        assert not missing, f"{rule.get('alert') or rule['record']} reads {sorted(missing)}"


def test_every_alert_says_how_bad_and_what_to_do() -> None:
    alerts = [rule for rule in rules() if "alert" in rule]
    assert len(alerts) >= 10
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning"}, alert["alert"]
        annotations = alert["annotations"]
        assert annotations["summary"] and annotations["description"], alert["alert"]
        assert annotations["runbook"].startswith("docs/deploy.md"), alert["alert"]


def test_every_dashboard_query_reads_exported_metrics(scrape: str) -> None:
    exported = exported_names(scrape) | PROMETHEUS_OWN
    exprs = dashboard_exprs()
    assert len(exprs) >= 10
    for expr in exprs:
        names = referenced_names(expr)
        assert names, f"no metric found in {expr!r}"
        assert names <= exported, f"the dashboard reads {sorted(names - exported)}"


def test_a_renamed_metric_would_be_caught(scrape: str) -> None:
    exported = exported_names(scrape)
    assert "catalytic_requests_shed_total" in exported
    assert referenced_names('rate(catalytic_requests_shedded_total{job="x"}[5m])') - exported


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.skip("promtool is not installed (Debian: apt-get install prometheus)")
    return found


def test_the_scrape_passes_promtool_check_metrics(scrape: str) -> None:
    result = subprocess.run(
        [promtool(), "check", "metrics"], input=scrape, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (result.stdout + result.stderr).strip()


def test_the_rules_pass_promtool_check_and_their_unit_tests() -> None:
    tool = promtool()
    for command in (["check", "rules", "alerts.yml"], ["test", "rules", "alerts.test.yml"]):
        result = subprocess.run(
            [tool, *command], cwd=PROMETHEUS, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stdout + result.stderr
