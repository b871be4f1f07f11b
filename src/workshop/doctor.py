"""Preflight: is this machine ready for the workshop? One row per check, one fix per problem.

In a terminal: `python -m workshop doctor` (or `--json`). In a notebook: `from workshop.doctor import report; report()`.

Each check is a plain function returning `(ok, detail, fix)`; `report()` runs them in order and turns an exception in
one check into a failed row, so the others still run. Third-party packages are imported inside the checks: a missing
package must show up as a failed row, not as a doctor that cannot start.
"""
import argparse
import html
import json
import os
import platform
import re
import shlex
import shutil
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from workshop.paths import REPO_ROOT
from workshop.settings import (
    BASE_IMAGES,
    EXERCISE_PORT,
    KERNEL_NAME,
    LAB_PORT,
    LOCALCLOUD_PORT,
    MIN_FREE_DISK_GB,
    MIN_PYTHON,
    MONOLITH_PORT,
    PYTHON_BASE_IMAGE,
    STANDIN_LABEL,
    WORKSHOP_LABEL,
)

DISTRIBUTION = "microservices-workshop"
WIDGETS_EXTENSION = "@jupyter-widgets/jupyterlab-manager"
PORTS = {LAB_PORT: "JupyterLab", LOCALCLOUD_PORT: "local cloud", MONOLITH_PORT: "monolith", EXERCISE_PORT: "exercise"}
ENGINE_TIMEOUT = 2  # seconds: an engine that does not answer by then counts as unreachable

Verdict = tuple[bool, str, str]  # (ok, detail, fix)
Check = tuple[str, Callable[[], Verdict]]


def passed(detail: str) -> Verdict:
    return True, detail, ""


def failed(detail: str, fix: str) -> Verdict:
    return False, detail, fix


# ---------------------------------------------------------------- results


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False  # passes, but has a fix worth reading (AWS-mode limits that could not be checked or are low)


@dataclass
class Report:
    """The doctor's findings; shows itself as a table in a terminal and in a notebook."""

    results: list[Result]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def problems(self) -> list[Result]:
        return [result for result in self.results if not result.ok]

    @property
    def warnings(self) -> list[Result]:
        return [result for result in self.results if result.ok and result.warn]

    def as_json(self) -> str:
        checks = [{key: value for key, value in asdict(result).items() if key != "warn" or value}
                  for result in self.results]
        return json.dumps({"ok": self.ok, "checks": checks}, indent=2)

    def as_text(self, color: bool = False) -> str:
        width = max((len(result.name) for result in self.results), default=0)
        lines = [f"  {_mark(result.ok, color, result.warn)}  {result.name:<{width}}  {result.detail}"
                 for result in self.results]
        if self.warnings:
            lines += ["", "To consider:"]
            lines += [f"  {_mark(True, color, True)} {result.name}: {result.fix}" for result in self.warnings]
        if self.problems:
            lines += ["", "To fix:"]
            lines += [f"  {_mark(False, color)} {result.name}: {result.fix}" for result in self.problems]
            lines += ["", "Then run `python -m workshop doctor` again."]
        else:
            lines += ["", "All checks passed: ready for the workshop."]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td style='color:{'orange' if r.warn and r.ok else 'green' if r.ok else 'red'}'>"
            f"{_mark(r.ok, False, r.warn)}</td>"
            f"<td style='text-align:left'>{html.escape(r.name)}</td>"
            f"<td style='text-align:left'>{_code_html(r.detail)}</td></tr>"
            for r in self.results
        )
        table = f"<table><thead><tr><th></th><th>Check</th><th>Result</th></tr></thead><tbody>{rows}</tbody></table>"
        if not self.problems:
            return table + "<p>All checks passed: ready for the workshop.</p>"
        fixes = "".join(f"<li><b>{html.escape(r.name)}</b>: {_code_html(r.fix)}</li>" for r in self.problems)
        return table + f"<p><b>To fix</b>, then run this cell again:</p><ul>{fixes}</ul>"

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.as_text())

    def __str__(self) -> str:
        return self.as_text()


def _mark(ok: bool, color: bool, warn: bool = False) -> str:
    mark = "!" if ok and warn else "✔" if ok else "✘"
    return f"\x1b[{33 if ok and warn else 32 if ok else 31}m{mark}\x1b[0m" if color else mark


def _code_html(text: str) -> str:
    """Escapes text for HTML and shows `backticked` commands as code."""
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))


# ---------------------------------------------------------------- the loop


def default_checks(engine: "Engine | None" = None) -> list[Check]:
    engine = engine or Engine()
    return [
        ("Python", check_python),
        ("Packages", check_packages),
        (f"Kernel {KERNEL_NAME}", check_kernel),
        ("Widgets extension", check_widgets_extension),
        ("Docker engine", partial(check_engine, engine)),
        *[(f"Image {image}", partial(check_base_image, engine, image)) for image in BASE_IMAGES],
        ("Container networking", partial(check_topology, engine)),
        *[(f"Port {port} ({use})", partial(check_port, port, engine)) for port, use in PORTS.items()],
        ("Disk space", partial(check_disk, engine)),
    ]


def report(checks: list[Check] | None = None) -> Report:
    """Runs every check (the default ones unless given) and returns their results; never raises."""
    results = []
    for name, check in checks if checks is not None else default_checks():
        try:
            ok, detail, fix = check()
        except Exception as error:
            ok, detail = False, f"the check itself failed: {type(error).__name__}: {error}"
            fix = "report this message as a workshop bug; the other rows are still valid"
        results.append(Result(name, ok, detail, fix))
    return Report(results)


def main(argv: list[str] | None = None, checks: list[Check] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m workshop doctor", description="Check this machine is ready.")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--aws", action="store_true", help="also check the AWS account's limits (on when "
                                                           "WORKSHOP_USE_REAL_AWS=yes)")
    parser.add_argument("--learners", type=int, default=1, help="how many learners share the AWS account")
    args = parser.parse_args(argv)
    findings = report(checks)
    if args.aws or os.environ.get("WORKSHOP_USE_REAL_AWS") == "yes":
        findings.results += aws_results(args.learners)
    if args.json:
        print(findings.as_json())
    else:
        color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        print(findings.as_text(color=color))
    return 0 if findings.ok else 1


def aws_results(learners: int = 1) -> list[Result]:
    """The AWS-mode preflight's lines as doctor rows: OK ✔, WARN ! (with what to do), FAIL ✘."""
    from workshop.quotas import FAIL, WARN, preflight

    try:
        lines = preflight(learners)
    except Exception as error:  # one broken check must not hide the machine's rows
        return [Result("AWS account", False, f"the check itself failed: {type(error).__name__}: {error}",
                       "report this message as a workshop bug; the other rows are still valid")]
    return [Result(f"AWS: {line.name}", line.status != FAIL, f"{line.status} {line.detail}", line.fix,
                   warn=line.status == WARN) for line in lines]


# ---------------------------------------------------------------- Python and Jupyter


def _python() -> str:
    """This interpreter, spelled as a learner types it in the workshop folder."""
    try:
        return str(Path(sys.executable).relative_to(REPO_ROOT))
    except ValueError:
        return shlex.quote(sys.executable)


def _in_workshop_folder(command: str) -> str:
    return f"`cd {shlex.quote(str(REPO_ROOT))} && {command}`"


def check_python() -> Verdict:
    version = "%d.%d.%d" % sys.version_info[:3]
    needed = ".".join(map(str, MIN_PYTHON))
    if sys.version_info >= MIN_PYTHON:
        return passed(f"{version} ({sys.executable})")
    return failed(f"{version} ({sys.executable}), needs {needed} or newer",
                  f"install Python {needed} or newer, then run `make lab` with it on your PATH")


def check_packages() -> Verdict:
    from importlib import metadata
    from importlib.util import find_spec

    from packaging.requirements import Requirement

    fix = _reinstall_fix()
    try:
        requirements = [Requirement(line) for line in metadata.requires(DISTRIBUTION) or []]
    except metadata.PackageNotFoundError:
        return failed(f"the workshop package is not installed for {sys.executable}", fix)
    required = [r for r in requirements if r.marker is None or r.marker.evaluate({"extra": ""})]
    modules_of: dict[str, list[str]] = {}
    for module, distributions in metadata.packages_distributions().items():
        for distribution in distributions:
            modules_of.setdefault(_normalized(distribution), []).append(module)
    problems = []
    for requirement in required:
        try:
            installed = metadata.version(requirement.name)
        except metadata.PackageNotFoundError:
            problems.append(f"{requirement.name} missing")
            continue
        if not requirement.specifier.contains(installed, prereleases=True):
            problems.append(f"{requirement.name} {installed} (needs {requirement.specifier})")
        # Found, not imported: importing all of them would take seconds and start things (matplotlib backends).
        elif not any(find_spec(module) for module in modules_of.get(_normalized(requirement.name), [])):
            problems.append(f"{requirement.name} installed but not importable")
    if problems:
        return failed("; ".join(problems), fix)
    return passed(f"{len(required)} pinned packages at their pinned versions")


def _reinstall_fix() -> str:
    return _in_workshop_folder(f"{_python()} -m pip install -e '.[test]'")


def _normalized(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def check_kernel() -> Verdict:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    fix = _in_workshop_folder(f"{_python()} -m ipykernel install --sys-prefix --name {KERNEL_NAME}")
    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        return failed(f"no kernel named {KERNEL_NAME}", fix)
    python = _kernel_python(spec.argv[0])
    if python is None:
        return failed(f"its Python `{spec.argv[0]}` is not found ({spec.resource_dir})", fix)
    probe = subprocess.run([python, "-c", "import sys, workshop; print('%d.%d.%d' % sys.version_info[:3])"],
                           capture_output=True, text=True, timeout=30)
    if probe.returncode != 0:
        return failed(f"its Python {python} cannot import workshop", fix)
    return passed(f"Python {probe.stdout.strip()} at {python} imports workshop")


def _kernel_python(command: str) -> str | None:
    # Jupyter starts a kernel whose argv[0] is a bare "python"/"pythonX"/"pythonX.Y" with its own interpreter.
    if command in {"python", "python%d" % sys.version_info[0], "python%d.%d" % sys.version_info[:2]}:
        return sys.executable
    return shutil.which(command)


def check_widgets_extension() -> Verdict:
    from importlib import metadata

    from jupyter_core.paths import jupyter_path

    folders = [Path(d) / WIDGETS_EXTENSION for d in jupyter_path("labextensions")]
    installed = [folder for folder in folders if (folder / "package.json").is_file()]
    if not installed:
        try:
            package = f"jupyterlab_widgets=={metadata.version('jupyterlab_widgets')}"
        except metadata.PackageNotFoundError:
            package = "jupyterlab_widgets"
        return failed(f"{WIDGETS_EXTENSION} is not among JupyterLab's extensions",
                      f"`{_python()} -m pip install --force-reinstall --no-deps {package}`, then restart JupyterLab")
    if WIDGETS_EXTENSION in _disabled_lab_extensions():
        return failed(f"{WIDGETS_EXTENSION} is installed but disabled",
                      f"`{_python()} -m jupyter labextension enable {WIDGETS_EXTENSION}`, then reload JupyterLab")
    version = json.loads((installed[0] / "package.json").read_text(encoding="utf-8"))["version"]
    return passed(f"{WIDGETS_EXTENSION} {version} enabled")


def _disabled_lab_extensions() -> set[str]:
    """Extensions JupyterLab's page config disables (what `jupyter labextension disable` writes)."""
    from jupyter_core.paths import jupyter_config_path

    disabled: dict[str, bool] = {}
    for folder in reversed(jupyter_config_path()):  # lowest priority first, so user settings win
        path = Path(folder) / "labconfig" / "page_config.json"
        if path.is_file():
            listed = json.loads(path.read_text(encoding="utf-8")).get("disabledExtensions", {})
            disabled.update(listed if isinstance(listed, dict) else dict.fromkeys(listed, True))
    return {name for name, off in disabled.items() if off}


# ---------------------------------------------------------------- Docker


class Engine:
    """The Docker engine as the doctor sees it: connected once, on first use; remembers why it could not."""

    def __init__(self, timeout: float = ENGINE_TIMEOUT):
        self.timeout = timeout
        self.error: Exception | None = None
        self._client = None
        self._tried = False
        self._containers: list[dict] | None = None

    @property
    def host(self) -> str:
        """The engine's URL as the workshop chooses it (DOCKER_HOST, else the docker CLI's context)."""
        try:
            from localcloud import engine

            return engine.docker_host()
        except Exception:  # docker missing, or a broken docker context: `client()` keeps the reason
            return "the engine the docker CLI's settings name"

    def client(self):
        """A docker client, or None when the engine is not reachable (then `error` says why)."""
        if not self._tried:
            self._tried = True
            try:
                from localcloud import engine

                self._client = engine.client(timeout=self.timeout)
            except Exception as error:  # whatever stops the connection, the engine is unreachable for the workshop
                self.error = error
        return self._client

    def containers(self) -> list[dict]:
        """Running containers as the engine lists them (names, labels, published ports); empty when unreachable."""
        if self._containers is None:
            client = self.client()
            self._containers = client.api.containers() if client else []
        return self._containers


def _root_cause(error: BaseException) -> BaseException:
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
    return error


def check_engine(engine: Engine) -> Verdict:
    client = engine.client()
    if client is None:
        cause = _root_cause(engine.error)
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause)
        return failed(f"not reachable at {engine.host}: {reason}", _engine_fix(engine))
    version = client.version()
    return passed(f"Docker {version['Version']} (API {version['ApiVersion']}) at {engine.host}")


def _engine_fix(engine: Engine) -> str:
    """One action that most likely gets an engine answering, for this platform and user."""
    if isinstance(engine.error, ImportError):
        return _reinstall_fix()
    from localcloud.engine import EngineSelectionError

    if isinstance(engine.error, EngineSelectionError):
        return str(engine.error)  # it names the context, the file and the fix
    if os.environ.get("DOCKER_HOST"):
        return (f"start the engine at {engine.host}, or `unset DOCKER_HOST` to use your docker CLI's context "
                f"(`docker context ls`)")
    context_host = _docker_context_host()
    if context_host and context_host != engine.host:
        return f"`export DOCKER_HOST={context_host}` (the engine your docker CLI context uses)"
    system = platform.system()
    if system == "Linux":
        if os.geteuid() == 0:
            return "run `make lab`: as root, its setup starts a Docker engine"
        if isinstance(_root_cause(engine.error), PermissionError):
            return "`sudo usermod -aG docker $USER`, then log out and in again"
        if shutil.which("dockerd"):
            return "`sudo systemctl start docker`"
        return "install Docker Engine: https://docs.docker.com/engine/install/"
    if system == "Darwin":
        return "`colima start`" if shutil.which("colima") else "start Docker Desktop (`open -a Docker`)"
    return "start Docker Desktop"


def _docker_context_host() -> str | None:
    """The engine the docker CLI's current context points to (Docker Desktop and Colima use their own sockets)."""
    try:
        from localcloud import engine

        return engine.docker_host() if engine.selection().startswith("docker context") else None
    except Exception:
        return None


def check_base_image(engine: Engine, image: str) -> Verdict:
    client = engine.client()
    if client is None:
        return failed("cannot tell: the Docker engine is not reachable", "fix the Docker engine row first")
    from docker.errors import ImageNotFound

    try:
        found = client.images.get(image)
    except ImageNotFound:
        return failed("not present", _in_workshop_folder(f"{_python()} -m setup.base_images"))
    detail = f"present ({found.short_id.removeprefix('sha256:')})"
    standin = (found.labels or {}).get(STANDIN_LABEL)
    if standin is not None:
        detail += f", a local stand-in ({STANDIN_LABEL}={standin})"
    return passed(detail)


def check_topology(engine: Engine) -> Verdict:
    """Tries the paths the workshop needs between host and containers (`workshop.topology`) and names the topology."""
    if engine.client() is None:
        return failed("cannot tell: the Docker engine is not reachable", "fix the Docker engine row first")
    image_ok, image_detail, image_fix = check_base_image(engine, PYTHON_BASE_IMAGE)
    if not image_ok:
        return failed(f"cannot tell: the probe's image {PYTHON_BASE_IMAGE} is {image_detail}", image_fix)
    from localcloud import engine as engines
    from localcloud.config import Config

    from workshop import topology

    cloud = Config()
    running = (cloud.network, cloud.port) if _local_cloud_on(cloud.port) else None
    # Its own client: starting containers may take longer than the engine row's quick answer allows.
    client = engines.client(timeout=topology.TIMEOUT_S)
    try:
        return topology.verdict(topology.probe(client, running))
    finally:
        client.close()


# ---------------------------------------------------------------- ports


def check_port(port: int, engine: Engine | None = None) -> Verdict:
    # Held by the workshop itself is no conflict: its labelled containers, its Jupyter server, its local cloud.
    container = _container_publishing(engine, port) if engine else None
    if container:
        if WORKSHOP_LABEL in (container.get("Labels") or {}):
            return passed(f"in use by the workshop's container {_container_name(container)}")
        return failed(f"published by container {_container_name(container)}",
                      f"`docker stop {_container_name(container)}`")
    if not _port_taken(port):
        return passed("free")
    server = _jupyter_server_on(port)
    if server and _is_workshop_server(server):
        return passed(f"in use by this workshop's Jupyter server (pid {server.get('pid')})")
    # A local cloud, whichever process runs it (`localcloud up` or a notebook kernel), answers its status route.
    if _local_cloud_on(port):
        return passed("in use by the local cloud")
    holder = _listening_process(port)
    if server:
        return failed(f"taken by another Jupyter server ({server.get('root_dir')})", f"`{_python()} -m jupyter server stop {port}`")
    if holder:
        return failed(f"taken by pid {holder[0]} ({holder[1]})", f"stop that program, e.g. `kill {holder[0]}`")
    finder = f"ss -ltnp 'sport = :{port}'" if platform.system() == "Linux" else f"lsof -iTCP:{port} -sTCP:LISTEN"
    return failed("taken by another program", f"stop the program listening there (`{finder}` shows which)")


def _local_cloud_on(port: int) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_localcloud/status", timeout=0.5) as response:
            return response.status == 200 and b'"parts"' in response.read()
    except (OSError, ValueError):
        return False


def _port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if os.name == "posix":
            # As servers do: a connection closed moments ago (TIME_WAIT) does not make the port taken.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _container_publishing(engine: Engine, port: int) -> dict | None:
    for container in engine.containers():
        for binding in container.get("Ports") or []:
            if binding.get("PublicPort") == port and binding.get("IP", "") in {"", "0.0.0.0", "::", "127.0.0.1"}:
                return container
    return None


def _container_name(container: dict) -> str:
    return container["Names"][0].lstrip("/") if container.get("Names") else container["Id"][:12]


def _jupyter_server_on(port: int) -> dict | None:
    """The running Jupyter server on `port`, from the files each server writes in Jupyter's runtime folder."""
    from jupyter_core.paths import jupyter_runtime_dir

    for path in Path(jupyter_runtime_dir()).glob("jpserver-*.json"):
        try:
            server = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if server.get("port") == port:
            return server
    return None


def _is_workshop_server(server: dict) -> bool:
    """The server running this kernel or terminal, or one serving (part of) this repository."""
    if str(server.get("pid")) == os.environ.get("JPY_PARENT_PID"):  # this kernel's server
        return True
    root = Path(server.get("root_dir") or "/").expanduser().resolve()
    if os.environ.get("JUPYTER_SERVER_ROOT") and root == Path(os.environ["JUPYTER_SERVER_ROOT"]).resolve():
        return True  # the server whose terminal this runs in
    return root.is_relative_to(REPO_ROOT)


def _listening_process(port: int) -> tuple[int, str] | None:
    """(pid, command line) of what listens on `port`; Linux only, and only for processes we may look at."""
    sockets = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local_port, state, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[3], fields[9]
            if state == "0A" and local_port == port:  # 0A: LISTEN
                sockets.add(f"socket:[{inode}]")
    if not sockets:
        return None
    for fds in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in sockets for fd in fds.iterdir()):
                pid = int(fds.parent.name)
                command = (fds.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                return pid, " ".join(command.split())[:80]
        except OSError:
            continue
    return None


# ---------------------------------------------------------------- disk


def check_disk(engine: Engine) -> Verdict:
    place, what = REPO_ROOT, "the workshop folder"
    client = engine.client()
    docker_root = client.info().get("DockerRootDir") if client else None
    if docker_root and os.path.isdir(docker_root):  # not on this filesystem when the engine runs in a VM
        place, what = Path(docker_root), "Docker's data"
    free_gb = shutil.disk_usage(place).free / 1e9
    detail = f"{free_gb:.1f} GB free for {what} ({place})"
    if free_gb >= MIN_FREE_DISK_GB:
        return passed(detail)
    return failed(detail + f", needs {MIN_FREE_DISK_GB} GB",
                  "free some space there, e.g. `docker system prune` removes stopped containers and unused layers")


if __name__ == "__main__":
    sys.exit(main())
