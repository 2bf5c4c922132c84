"""Where a benchmark's figures go: bench/results/<name>-<UTC time>.json (git ignores them)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"


def write_results(name: str, results: Mapping[str, object], when: datetime | None = None) -> Path:
    """Write ``results`` as bench/results/``name``-<time>.json, ``when`` (default now) being
    the time, and say so; returns the file."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S")
    out = RESULTS / f"{name}-{stamp}.json"
    out.write_text(json.dumps(results, indent=2))
    print(f"written: {out.relative_to(ROOT)}")
    return out
