"""Start JupyterLab on 127.0.0.1 with a token and print the URL; if ours already runs, print its URL instead.

`python -m setup.lab [--port N]` — what `make lab` runs after `setup.prepare`.
"""
import argparse
import os
import secrets
import socket
import sys

from setup._console import SetupError, done, fail, step
from workshop.paths import REPO_ROOT
from workshop.settings import LAB_PORT

FIRST_NOTEBOOK = "notebooks/00_welcome.ipynb"


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def running_lab_on(port: int) -> dict | None:
    """A Jupyter server of this repository already serving on `port` (from `make lab` run earlier)."""
    from jupyter_server.serverapp import list_running_servers

    for server in list_running_servers():
        if server.get("port") == port and os.path.realpath(server.get("root_dir", "")) == str(REPO_ROOT):
            return server
    return None


def lab_url(port: int, token: str) -> str:
    return f"http://127.0.0.1:{port}/lab/tree/{FIRST_NOTEBOOK}?token={token}"


def lab_command(port: int, token: str) -> list[str]:
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
               "--port-retries=0", f"--ServerApp.root_dir={REPO_ROOT}", f"--IdentityProvider.token={token}"]
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


def start_lab(port: int) -> None:
    existing = running_lab_on(port)
    if existing:
        done(f"JupyterLab already runs here: {lab_url(port, existing.get('token', ''))}")
        return
    if not port_is_free(port):
        raise SetupError(f"port {port} on 127.0.0.1 is taken by another program: stop it, "
                         f"or choose another port with `make lab LAB_PORT={port + 1}`")
    token = os.environ.get("WORKSHOP_LAB_TOKEN") or secrets.token_hex(24)
    step("starting JupyterLab (Ctrl-C stops it)")
    print(f"\n    Open this URL in your browser:\n\n    {lab_url(port, token)}\n", flush=True)
    os.execv(sys.executable, lab_command(port, token))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("LAB_PORT", LAB_PORT)))
    args = parser.parse_args(argv)
    try:
        start_lab(args.port)
    except SetupError as error:
        return fail(error)
    return 0


if __name__ == "__main__":
    sys.exit(main())
