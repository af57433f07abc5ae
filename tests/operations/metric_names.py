"""Which metric names a PromQL expression reads, and which ones /metrics exports.

Shared by the checks of deploy/prometheus/alerts.yml and deploy/grafana/catalytic.json:
a metric renamed in the code must break CI, not silence an alert.
"""

from __future__ import annotations

import re

from prometheus_client.parser import text_string_to_metric_families

# Series every Prometheus target has without the app exporting them.
PROMETHEUS_OWN = frozenset({"up"})

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("", "_count", "_sum", "_created"),
    "info": ("_info",),
}
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "inf", "nan", "group_left", "group_right"}
)
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_SELECTOR = re.compile(r"\{[^}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_IDENTIFIER = re.compile(r"(?<![\w$.])([A-Za-z_:][\w:]*)\s*(\()?")


def referenced_names(expr: str) -> set[str]:
    """Metric (or recording rule) names in a PromQL expression, functions excluded."""
    text = _STRING.sub('""', expr)
    text = _SELECTOR.sub("", text)
    text = _RANGE.sub("", text)
    text = _GROUPING.sub("", text)
    names = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.groups()
        if call is None and name.lower() not in _KEYWORDS:
            names.add(name)
    return names


def exported_names(scrape: str) -> set[str]:
    """Every series name a scrape can carry, including those of families with no samples
    yet (a labelled counter nobody has incremented still declares its # TYPE)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(scrape):
        names.update(family.name + suffix for suffix in _SUFFIXES.get(family.type, ("",)))
        names.update(sample.name for sample in family.samples)
    return names
