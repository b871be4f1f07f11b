"""Where things are in the repository, found from this file so notebooks work from any working directory."""
import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = REPO_ROOT / "solutions"
NOTEBOOKS = REPO_ROOT / "notebooks"
SAMPLE_SERVICES = REPO_ROOT / "sample_services"
SETUP = REPO_ROOT / "setup"
# Generated, never committed: executed notebooks, wheelhouse, scratch. A second test run beside the first, on another
# engine (tests/run_all.sh), sets its own.
BUILD = Path(os.environ.get("WORKSHOP_BUILD_DIR") or REPO_ROOT / "build")
WHEELHOUSE = BUILD / "wheelhouse"
# The exercises of every module (id, title, names, check), written from solutions/ by setup.generate_exercises.
EXERCISES_FILE = Path(__file__).resolve().parent / "data" / "exercises.json"
