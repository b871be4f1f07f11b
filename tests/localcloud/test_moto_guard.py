"""The moto the local cloud relies on: the tested release, and every attribute of moto it still replaces recorded
with its reason and listed in the docs. Each service's own reliance is in test_moto_guard_<service>.py."""
import json
import re
import subprocess
import sys
import uuid
from importlib.metadata import version
from pathlib import Path

import pytest

from localcloud import moto_version

ROOT = Path(__file__).resolve().parents[2]
MOST_REPLACEMENTS = 10


def test_the_installed_moto_is_the_tested_one_and_the_pins_agree():
    pinned = re.search(r'"moto==([^"]+)"', (ROOT / "pyproject.toml").read_text())[1]
    environment = re.search(r"- moto=([^\s]+)", (ROOT / "environment.yml").read_text())[1]
    assert moto_version.TESTED == pinned == environment == version("moto")
    assert moto_version.check()["same"]


@pytest.mark.docker
def test_starting_the_cloud_replaces_only_the_recorded_attributes_of_moto_each_documented():
    program = subprocess.run([sys.executable, str(Path(__file__).with_name("moto_changes.py")),
                              f"guard-{uuid.uuid4().hex[:8]}"], capture_output=True, text=True, timeout=300)
    assert program.returncode == 0, program.stderr[-3000:]
    changes = json.loads(program.stdout.strip().splitlines()[-1])
    recorded = {entry["where"]: entry["why"] for entry in changes["recorded"]}
    assert set(changes["changed"]) | set(changes["added"]) == set(recorded), "a change of moto that is not recorded"
    assert len(recorded) <= MOST_REPLACEMENTS
    assert all(len(why) > 20 for why in recorded.values())
    docs = (ROOT / "docs" / "localcloud.md").read_text()
    assert [where for where in recorded if where.rsplit(".", 2)[-2] + "." + where.rsplit(".", 1)[-1] not in docs] == []
