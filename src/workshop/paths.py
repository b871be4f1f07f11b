"""Where things are in the repository, found from this file so notebooks work from any working directory."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO_ROOT / "solutions"
NOTEBOOKS = REPO_ROOT / "notebooks"
SAMPLE_SERVICES = REPO_ROOT / "sample_services"
SETUP = REPO_ROOT / "setup"
BUILD = REPO_ROOT / "build"          # generated, never committed: executed notebooks, wheelhouse, scratch
WHEELHOUSE = BUILD / "wheelhouse"
# Where exercise checks build learners' answers; a second run beside the first (tests/run_all.sh) sets its own.
SCRATCH = Path(os.environ.get("WORKSHOP_SCRATCH_DIR") or BUILD / "exercises")
