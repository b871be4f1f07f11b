"""Fixtures for the browser tests: a JupyterLab served as `make lab` serves it, and headless Chromium driving it.

- `serve_lab(root)` starts `setup.lab.lab_command(port, token)` (the very command `make lab` runs) on a free
  loopback port with a random token, in its own process group, and always stops it: kernels are shut down through
  the REST API first, then the whole group is terminated. Only per-user state (workspaces, user settings, runtime
  files) goes to a temporary folder, so a test neither sees nor changes a learner's own layout.
- `lab_page` is a Chromium page (Debian's Chromium through Playwright, never a downloaded browser) whose requests
  may only go to 127.0.0.1, and which reads the kernel messages on the page's websockets: that is how a test knows
  which cells ran, when the last one finished, and the name of every error the kernel reported.
- `notebook_cloud` points the kernels of a lab started after it at the notebook tests' local cloud.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import pytest

from setup.browser import find_chromium
from setup.lab import lab_command
from workshop.paths import REPO_ROOT
from workshop.settings import WORKSHOP_LABEL

SERVER_START_TIMEOUT_S = 90
SERVER_STOP_TIMEOUT_S = 30
VIEWPORT = {"width": 1400, "height": 900}
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
POLL_MS = 250
LOG_TAIL_LINES = 40


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- the Jupyter server ------------------------------------------------------------------------------------

@dataclass
class Lab:
    """A running JupyterLab: where it listens, how to reach its REST API, and what it logged."""

    root: Path
    port: int
    token: str
    log_path: Path
    process: subprocess.Popen

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base}/{path.lstrip('/')}?token={self.token}"

    def api(self, method: str, path: str, timeout: float = 10):
        request = urllib.request.Request(f"{self.base}{path}", method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return "(no server log)"
        return "\n".join(text.splitlines()[-lines:])

    def shutdown_kernels(self) -> list[str]:
        """Shut every kernel of this server down through the REST API; return their ids."""
        if self.process.poll() is not None:
            return []
        stopped = []
        try:
            for kernel in self.api("GET", "/api/kernels"):
                try:
                    self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)
                    stopped.append(kernel["id"])
                except urllib.error.URLError:
                    pass  # already gone, or the server is going down: terminating its group ends the kernel too
        except (urllib.error.URLError, OSError, ValueError):
            pass
        return stopped


def wait_until_serving(lab: Lab, timeout: float = SERVER_START_TIMEOUT_S) -> float:
    """Poll /api/status until the server answers; return the seconds it took."""
    started = time.monotonic()
    status_url = f"{lab.base}/api/status?token={lab.token}"
    while True:
        if lab.process.poll() is not None:
            pytest.fail(f"JupyterLab exited with code {lab.process.returncode} before serving; its log:\n"
                        f"{lab.log_tail()}")
        try:
            with urllib.request.urlopen(status_url, timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() - started > timeout:
            pytest.fail(f"JupyterLab did not answer {lab.base}/api/status within {timeout:.0f} s; its log:\n"
                        f"{lab.log_tail()}")
        time.sleep(0.2)


def process_groups_under(pid: int) -> set[int]:
    """The process groups of `pid`'s descendants (Linux /proc; empty elsewhere).

    The server starts each kernel in a session of its own, so terminating the server's group alone would not reach
    a kernel that outlived its server.
    """
    children: dict[int, list[tuple[int, int]]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append((int(stat.parent.name), int(fields[2])))
    groups, todo = set(), [pid]
    while todo:
        for child, group in children.get(todo.pop(), []):
            groups.add(group)
            todo.append(child)
    return groups


def stop_process_group(process: subprocess.Popen) -> None:
    """Terminate the group the server leads, wait for it, then kill whatever it started that is left."""
    started_by_server = process_groups_under(process.pid)
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            process.wait(SERVER_STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
    for group in {process.pid} | started_by_server:
        try:
            os.killpg(group, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if process.poll() is None:
        process.wait(SERVER_STOP_TIMEOUT_S)


@contextmanager
def serve_lab(root: Path, state_dir: Path):
    """JupyterLab serving `root` exactly as `make lab` serves the repository; stopped on exit, whatever happens."""
    port, token = free_port(), secrets.token_hex(24)
    command = [f"--ServerApp.root_dir={root}" if arg.startswith("--ServerApp.root_dir=") else arg
               for arg in lab_command(port, token)]
    state_dir.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ,
               JUPYTERLAB_WORKSPACES_DIR=str(state_dir / "workspaces"),
               JUPYTERLAB_SETTINGS_DIR=str(state_dir / "user-settings"),
               JUPYTER_RUNTIME_DIR=str(state_dir / "runtime"))
    log_path = state_dir / "jupyter-server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    lab = Lab(root=Path(root), port=port, token=token, log_path=log_path, process=process)
    try:
        seconds = wait_until_serving(lab)
        print(f"\n[browser] JupyterLab served {root} on {lab.base} after {seconds:.1f} s", flush=True)
        yield lab
    finally:
        lab.shutdown_kernels()
        stop_process_group(process)


@pytest.fixture
def scratch_lab(tmp_path):
    """JupyterLab serving an empty temporary folder (tests put their own notebooks there)."""
    root = tmp_path / "root"
    root.mkdir()
    with serve_lab(root, tmp_path / "state") as lab:
        yield lab


@pytest.fixture
def repo_lab(tmp_path):
    """JupyterLab serving the repository, as `make lab` does."""
    with serve_lab(REPO_ROOT, tmp_path / "state") as lab:
        try:
            yield lab
        finally:
            stopped = lab.shutdown_kernels()
            if stopped:
                print(f"[browser] shut down kernel(s) {', '.join(stopped)}", flush=True)


# The notebook tests' local cloud (its own instance and ports); LOCALCLOUD_* variables set in the environment win.
NOTEBOOK_CLOUD_ENV = Path(__file__).parent.parent / "notebooks" / "localcloud.env"


@pytest.fixture
def notebook_cloud():
    """Point the kernels a lab starts at the notebook tests' local cloud; stop it afterwards unless it already ran.

    Request it before the lab, so the server (and every kernel it starts) inherits the settings.
    """
    pairs = (line.split("=", 1) for line in NOTEBOOK_CLOUD_ENV.read_text().splitlines()
             if line and not line.startswith("#"))
    settings = {name: os.environ.get(name, value) for name, value in pairs}
    settings["LOCALCLOUD_STATE_DIR"] = str(REPO_ROOT / settings["LOCALCLOUD_STATE_DIR"])
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    status = [sys.executable, "-m", "localcloud", "status"]
    already_running = subprocess.run(status, capture_output=True).returncode == 0
    try:
        yield settings
    finally:
        if not already_running:
            subprocess.run([sys.executable, "-m", "localcloud", "down"], capture_output=True, timeout=120)
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@dataclass
class ContainerSweep:
    """Removes, after a test, the workshop containers a notebook left running.

    A notebook stopped at an exercise never reaches its own cleanup cell. Only containers that did not exist
    before the test and whose names the notebook's code spells out are removed: the engine is shared, and a
    container another run started meanwhile is not ours to remove.
    """

    client: object
    before: set[str]
    notebooks: list[Path] = field(default_factory=list)

    def containers_of(self, notebook: Path) -> None:
        self.notebooks.append(notebook)

    def sweep(self) -> tuple[list[str], list[str]]:
        """Remove this test's leftovers; return (removed, left alone) container names."""
        import docker
        import nbformat

        code = "\n".join(cell.source for path in self.notebooks
                         for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code")
        removed, others = [], []
        for container in self.client.containers.list(all=True, filters={"label": WORKSHOP_LABEL}):
            if container.id in self.before:
                continue
            if container.name not in code:
                others.append(container.name)
                continue
            try:
                container.remove(force=True)
                removed.append(container.name)
            except docker.errors.NotFound:
                pass
        return removed, others


@pytest.fixture
def container_sweep():
    """Request it before the lab, so that it runs after the kernel is shut down and the server stopped."""
    from localcloud import engine as docker_engine

    client = docker_engine.client()
    try:
        existing = client.containers.list(all=True, filters={"label": WORKSHOP_LABEL})
        sweep = ContainerSweep(client, {container.id for container in existing})
        yield sweep
        removed, others = sweep.sweep()
        if removed:
            print(f"[browser] removed containers the notebook left running: {', '.join(removed)}", flush=True)
        if others:
            print(f"[browser] left alone (new, but not the notebook's): {', '.join(others)}", flush=True)
    finally:
        client.close()


# --- the browser -------------------------------------------------------------------------------------------

def kernel_message(payload) -> dict | None:
    """One kernel message from a websocket frame: the binary v1 protocol JupyterLab prefers, or legacy JSON."""
    if isinstance(payload, str):
        try:
            message = json.loads(payload)
        except ValueError:
            return None
        return message if isinstance(message, dict) and "header" in message else None
    from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1

    try:
        channel, parts = deserialize_msg_from_ws_v1(payload)
        header, parent, _metadata, content = (json.loads(part) for part in parts[:4])
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return {"channel": channel, "header": header, "parent_header": parent, "content": content}


@dataclass
class KernelTraffic:
    """What the page and its kernels said to each other: executions asked for and finished, errors, status."""

    requested: dict[str, str] = field(default_factory=dict)  # execute_request msg_id → the cell's code
    replies: dict[str, dict] = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)  # error contents, each with the `code` that raised it
    status: str = "unknown"
    kernel_ready: bool = False  # the kernel answered the page's kernel_info_request

    def sent(self, payload) -> None:
        message = kernel_message(payload)
        if message and message["header"].get("msg_type") == "execute_request":
            self.requested[message["header"]["msg_id"]] = (message.get("content") or {}).get("code", "")

    def received(self, payload) -> None:
        message = kernel_message(payload)
        if not message:
            return
        kind, content = message["header"].get("msg_type"), message.get("content") or {}
        if kind == "kernel_info_reply":
            self.kernel_ready = True
        elif kind == "execute_reply":
            self.replies[(message.get("parent_header") or {}).get("msg_id", "")] = content
        elif kind == "error":
            parent = (message.get("parent_header") or {}).get("msg_id", "")
            self.errors.append(dict(content, code=self.requested.get(parent, "")))
        elif kind == "status" and message.get("channel") == "iopub":
            self.status = content.get("execution_state", self.status)

    @property
    def pending(self) -> list[str]:
        return [msg_id for msg_id in self.requested if msg_id not in self.replies]

    def finished(self) -> bool:
        return bool(self.requested) and not self.pending and self.status == "idle"

    def summary(self) -> str:
        outcomes = [reply.get("status", "?") for reply in self.replies.values()]
        counts = {status: outcomes.count(status) for status in sorted(set(outcomes))}
        return f"{len(self.requested)} cells sent, replies {counts}, kernel {self.status}"


class LabPage:
    """A JupyterLab tab in headless Chromium, with the few actions the tests need."""

    def __init__(self, page, traffic: KernelTraffic, blocked: list[str]):
        self.page, self.traffic, self.blocked = page, traffic, blocked

    def open_notebook(self, lab: Lab, path: str, timeout_s: float = 120, attempts: int = 2) -> None:
        """Open the notebook; again if JupyterLab says its theme's stylesheet failed to load (seen on a machine under
        heavy load): its dialog would block every click, and a screenshot would be unstyled."""
        for attempt in range(1, attempts + 1):
            self.open_notebook_once(lab, path, timeout_s)
            self.page.wait_for_timeout(1000)
            if not self.page.locator(".jp-Dialog", has_text="Error Loading Theme").count():
                return
            print(f"[browser] attempt {attempt}: JupyterLab could not load its theme's stylesheet", flush=True)
        pytest.fail(f"JupyterLab could not load its theme's stylesheet in {attempts} attempts; the server's log:\n"
                    f"{lab.log_tail()}")

    def open_notebook_once(self, lab: Lab, path: str, timeout_s: float) -> None:
        self.page.goto(lab.url(f"lab/tree/{path}"), timeout=timeout_s * 1000)
        self.page.locator(".jp-NotebookPanel .jp-Notebook").first.wait_for(state="visible", timeout=timeout_s * 1000)
        # Run All before the page is connected to its kernel would ask the learner to select a kernel instead.
        # (The kernel messages say it; the toolbar's status indicator may sit in an overflow menu instead.)
        started = time.monotonic()
        while not (self.traffic.kernel_ready and self.traffic.status == "idle"):
            if time.monotonic() - started > timeout_s:
                pytest.fail(f"the notebook {path} did not connect to an idle kernel within {timeout_s:.0f} s "
                            f"(kernel answered: {self.traffic.kernel_ready}, kernel status: {self.traffic.status})"
                            f"; the server's log:\n{lab.log_tail()}")
            self.page.wait_for_timeout(POLL_MS)

    def run_all_cells(self) -> None:
        """Run ▸ Run All Cells, through the menu as a learner does."""
        self.page.get_by_role("menuitem", name="Run", exact=True).click()
        self.page.get_by_role("menuitem", name="Run All Cells", exact=True).click()

    def busy_prompts(self) -> int:
        """Cells shown as running or queued (`[*]:`)."""
        return self.page.evaluate(
            "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]"
            ".filter(p => p.textContent.includes('[*]')).length")

    def wait_until_run_finished(self, timeout_s: float) -> float:
        """Poll until every cell sent ran (or was skipped after an error) and the kernel is idle; return seconds."""
        started = time.monotonic()
        while True:
            self.page.wait_for_timeout(POLL_MS)  # also lets Playwright deliver the websocket frames
            if self.traffic.finished() and self.busy_prompts() == 0:
                return time.monotonic() - started
            if time.monotonic() - started > timeout_s:
                pytest.fail(f"the notebook had not finished after {timeout_s:.0f} s: {self.traffic.summary()}; "
                            f"errors so far: {[e.get('ename') for e in self.traffic.errors]}")

    def output_texts(self) -> list[str]:
        """The text of every output area (textContent: cells scrolled out of view count too)."""
        return self.page.evaluate(
            "() => [...document.querySelectorAll('.jp-NotebookPanel .jp-OutputArea-output')]"
            ".map(o => o.textContent)")

    def bring_into_view(self, locator, timeout_s: float = 15) -> None:
        """Scroll the notebook until `locator` sits, at rest, in the middle of the window.

        Cells off screen are laid out with estimated heights until they are first drawn, so one scroll can land
        short; scroll again until the element's position no longer changes and it lies inside the viewport.
        """
        started, last = time.monotonic(), None
        while True:
            locator.evaluate("element => element.scrollIntoView({block: 'center'})")
            self.page.wait_for_timeout(POLL_MS)
            box = locator.bounding_box()
            height = self.page.viewport_size["height"]
            settled = box is not None and box == last and box["y"] >= 0 and box["y"] + box["height"] <= height
            if settled:
                return
            if time.monotonic() - started > timeout_s:
                pytest.fail(f"could not scroll the element into view within {timeout_s:.0f} s (last box {box})")
            last = box

    def screenshot(self, path) -> None:
        """The whole page as a learner sees it, without JupyterLab's pop-up notifications (e.g. its news prompt)."""
        self.page.screenshot(path=str(path), full_page=True, style=".Toastify { display: none !important; }")

    def save_screenshot(self, name: str) -> Path:
        """The page in build/screenshots/<name>; WORKSHOP_UPDATE_SCREENSHOTS=1 also refreshes docs/screenshots/."""
        path = REPO_ROOT / "build" / "screenshots" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        self.screenshot(path)
        if os.environ.get("WORKSHOP_UPDATE_SCREENSHOTS") == "1":
            shutil.copy(path, REPO_ROOT / "docs" / "screenshots" / name)
        return path


# Module scope: Playwright's sync API keeps an event loop running in this thread until it exits, which would
# break asyncio.run() in every later test module.
@pytest.fixture(scope="module")
def chromium():
    path = find_chromium()
    if not path:
        pytest.fail("no Chromium found for the browser tests: run `make browser` (it installs Debian's chromium) "
                    "or point WORKSHOP_CHROMIUM at a Chrome/Chromium binary")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def lab_page(chromium):
    """A fresh page; requests to anything but 127.0.0.1 are refused, so nothing leaves the machine."""
    context = chromium.new_context(viewport=VIEWPORT)
    blocked: list[str] = []

    def only_loopback(route):
        if urlparse(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    context.route("**/*", only_loopback)
    page = context.new_page()
    traffic = KernelTraffic()

    def watch(websocket):
        if "/api/kernels/" in websocket.url:
            websocket.on("framesent", traffic.sent)
            websocket.on("framereceived", traffic.received)

    page.on("websocket", watch)
    try:
        yield LabPage(page, traffic, blocked)
    finally:
        if blocked:
            print(f"[browser] refused {len(blocked)} request(s) off the machine: {sorted(set(blocked))[:5]}")
        context.close()
