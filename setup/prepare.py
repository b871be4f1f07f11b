"""Every set-up step that is missing, in order; each skips what is already done.

`python -m setup.prepare` — what `make lab` and `make test` run after creating the virtual environment.
"""
import sys
import time

from setup._console import SetupError, fail
from setup.base_images import ensure_base_images
from setup.engine import ensure_engine
from setup.kernel import ensure_kernel, ensure_quiet_lab
from setup.localhost_names import ensure_localhost_names


def main() -> int:
    started = time.monotonic()
    try:
        ensure_engine()
        ensure_base_images()
        ensure_localhost_names()
        ensure_kernel()
        ensure_quiet_lab()
    except SetupError as error:
        return fail(error)
    print(f"set-up complete in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
