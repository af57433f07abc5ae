"""Count the HTTP requests a schemathesis run made, from its NDJSON report folder.

Used by .ci/schemathesis.sh: `python tests/faults/count_requests.py REPORT_DIR`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def count(node: Any) -> int:
    """Every recorded request/response interaction, wherever the event nests it."""
    if isinstance(node, dict):
        here = 1 if "request" in node and "response" in node else 0
        return here + sum(count(value) for key, value in node.items() if key != "request")
    if isinstance(node, list):
        return sum(count(item) for item in node)
    return 0


def main(folder: str) -> int:
    total = 0
    for path in Path(folder).glob("*.ndjson"):
        with path.open() as events:
            for line in events:
                if line.strip():
                    total += count(json.loads(line))
    return total


if __name__ == "__main__":
    print(main(sys.argv[1]))
