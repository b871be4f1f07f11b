"""The facilitator's dress rehearsal: the AWS modules' solutions in AWS mode against a local cloud that plays AWS's
rules and (compressed) timing, as a learner holding only the published policy; then nothing may be left."""
import json
import subprocess
import sys

import pytest

from workshop.paths import BUILD

REHEARSAL_TIMEOUT_S = 1500
# 60 times faster than AWS (`rehearse` alone: 20): every paced wait still happens (none shorter than 0.2 s), and
# module 09's wait for a deleted function's network interfaces takes 20 s instead of 20 min.
FACTOR = 60


@pytest.mark.notebook
@pytest.mark.rehearsal
@pytest.mark.timeout(REHEARSAL_TIMEOUT_S)
def test_the_rehearsal_of_aws_mode_passes_and_leaves_nothing():
    result = subprocess.run([sys.executable, "-m", "workshop", "rehearse", "--factor", str(FACTOR)],
                            capture_output=True, text=True,
                            timeout=REHEARSAL_TIMEOUT_S - 60)
    report = json.loads((BUILD / "rehearsal" / "report.json").read_text())
    failed = [f"{run['module']}: {run['error']}" for run in report["modules"] if not run["passed"]]
    assert not failed, "\n".join(failed) + "\n" + result.stdout[-3000:]
    assert not report["refused"], f"calls the published learner policy lacks: {report['refused']}"
    assert not report["left"], f"left after the teardown: {report['left']}"
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert [run["module"] for run in report["modules"]] == ["04", "05", "06", "07", "08", "09"]
