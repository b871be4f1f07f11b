"""Tests across the sample services: each package made importable as pytest runs from the repository root."""

import sys
from pathlib import Path

SAMPLE_SERVICES = Path(__file__).resolve().parents[1]
SPLIT_SERVICES = ("users", "catalog", "orders")

for folder in ("monolith", *SPLIT_SERVICES):
    if str(SAMPLE_SERVICES / folder) not in sys.path:
        sys.path.insert(0, str(SAMPLE_SERVICES / folder))
