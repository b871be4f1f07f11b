"""Make headless Chromium available for the browser test (Playwright drives the system's Chromium).

`python -m setup.browser` — on Debian/Ubuntu as root installs the `chromium` package; elsewhere says how.
"""
import os
import shutil
import subprocess
import sys

from setup._console import SetupError, done, fail, step

CHROMIUM_CANDIDATES = ("chromium", "chromium-browser", "google-chrome")


def find_chromium() -> str | None:
    override = os.environ.get("WORKSHOP_CHROMIUM")
    if override:
        return override if os.path.exists(override) else None
    return next(filter(None, map(shutil.which, CHROMIUM_CANDIDATES)), None)


def ensure_chromium() -> str:
    path = find_chromium()
    if path:
        done(f"Chromium for the browser test: {path}")
        return path
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SetupError("the browser test needs Chromium: install it with your package manager "
                         "(or point WORKSHOP_CHROMIUM at a Chrome/Chromium binary)")
    step("installing Debian's chromium for the browser test")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    result = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                            env=env, capture_output=True, text=True)
    if result.returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, capture_output=True)
        result = subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"],
                                env=env, capture_output=True, text=True)
    path = find_chromium()
    if result.returncode != 0 or not path:
        raise SetupError(f"could not install chromium: {result.stderr.strip().splitlines()[-1:]}")
    done(f"Chromium installed: {path}")
    return path


def main() -> int:
    try:
        ensure_chromium()
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
