"""Register this environment's Python as the Jupyter kernel the notebooks name (`python3`)."""
import json
import subprocess
import sys
from pathlib import Path

from setup._console import SetupError, done, fail, step
from workshop.settings import KERNEL_NAME

KERNEL_JSON = Path(sys.prefix) / "share/jupyter/kernels" / KERNEL_NAME / "kernel.json"


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


def main() -> int:
    try:
        ensure_kernel()
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
