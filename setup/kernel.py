"""Register this environment's Python as the Jupyter kernel the notebooks name (`python3`), and quiet JupyterLab.

JupyterLab's defaults for this environment (overrides.json): no news pop-up and no update check, which would
interrupt a learner and reach for the internet.
"""
import json
import subprocess
import sys
from pathlib import Path

from setup._console import SetupError, done, fail, step
from workshop.settings import KERNEL_NAME

KERNEL_JSON = Path(sys.prefix) / "share/jupyter/kernels" / KERNEL_NAME / "kernel.json"
LAB_OVERRIDES = Path(sys.prefix) / "share/jupyter/lab/settings/overrides.json"
QUIET_LAB = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False}}


def kernel_is_ours() -> bool:
    try:
        return json.loads(KERNEL_JSON.read_text())["argv"][0] == sys.executable
    except (OSError, ValueError, KeyError, IndexError):
        return False


def ensure_kernel() -> None:
    if kernel_is_ours():
        done(f"Jupyter kernel {KERNEL_NAME} → {sys.executable}")
        return
    step(f"registering the Jupyter kernel {KERNEL_NAME}")
    result = subprocess.run([sys.executable, "-m", "ipykernel", "install", "--sys-prefix", "--name", KERNEL_NAME,
                             "--display-name", "Python 3 (workshop)"], capture_output=True, text=True)
    if result.returncode != 0 or not kernel_is_ours():
        raise SetupError(f"could not register the kernel: {result.stderr.strip()}")
    done(f"Jupyter kernel {KERNEL_NAME} registered")


def ensure_quiet_lab() -> None:
    try:
        current = json.loads(LAB_OVERRIDES.read_text())
    except (OSError, ValueError):
        current = {}
    if all(current.get(plugin, {}).get(key) == value
           for plugin, settings in QUIET_LAB.items() for key, value in settings.items()):
        return
    for plugin, settings in QUIET_LAB.items():
        current.setdefault(plugin, {}).update(settings)
    LAB_OVERRIDES.parent.mkdir(parents=True, exist_ok=True)
    LAB_OVERRIDES.write_text(json.dumps(current, indent=2) + "\n")
    done("JupyterLab: news pop-up and update check off")


def main() -> int:
    try:
        ensure_kernel()
        ensure_quiet_lab()
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
