"""The Docker engine the workshop uses, chosen as the docker CLI chooses it.

In order: `DOCKER_HOST` (with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH), else the docker CLI's current context
(`DOCKER_CONTEXT`, else `currentContext` in the CLI's config.json: Docker Desktop and Colima point theirs at their
own sockets), else the platform's default socket.

`client()` connects to it; `environment()` gives subprocesses (the docker CLI, a detached `localcloud up`, notebook
kernels) the same engine; `architecture()` is its CPU, under every name the workshop needs (`localcloud.cpu`).

The CLI's files are read here rather than through `docker.context.ContextAPI`, which falls back to the default socket
without a word when the named context does not exist or config.json cannot be read, and looks for contexts beside
~/.docker/config.json when DOCKER_CONFIG names a folder without one.
"""
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import docker
from docker.constants import DEFAULT_TIMEOUT_SECONDS
from docker.tls import TLSConfig

from localcloud.cpu import Cpu, cpu

DEFAULT_SOCKET = "npipe:////./pipe/docker_engine" if os.name == "nt" else "unix:///var/run/docker.sock"
FROM_DOCKER_HOST = "DOCKER_HOST"
FROM_DEFAULT_SOCKET = "default socket"
TLS_VARIABLES = ("DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH")
MISSING = "missing"


class EngineSelectionError(docker.errors.DockerException):
    """The docker CLI's settings name an engine that cannot be worked out; the message says how to fix them."""


@dataclass(frozen=True)
class Selection:
    host: str                  # the engine's URL: unix://…, tcp://…, npipe://…
    source: str                # where it came from: "DOCKER_HOST", "docker context colima", "default socket"
    environment: dict          # what a subprocess needs to reach the same engine
    tls: TLSConfig | None = None


def config_dir() -> Path:
    """The docker CLI's configuration folder: DOCKER_CONFIG, else ~/.docker."""
    return Path(os.environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def select() -> Selection:
    """The engine the workshop uses and where that choice came from."""
    if os.environ.get("DOCKER_HOST"):
        # DOCKER_TLS_VERIFY and DOCKER_CERT_PATH mean what they always meant to docker-py's from_env().
        settings = docker.utils.kwargs_from_env()
        passed_on = {name: os.environ[name] for name in ("DOCKER_HOST", *TLS_VARIABLES) if name in os.environ}
        return Selection(settings["base_url"], FROM_DOCKER_HOST, passed_on, settings.get("tls"))
    name, named_by = _context_name()
    if name == "default":
        return Selection(DEFAULT_SOCKET, FROM_DEFAULT_SOCKET, {"DOCKER_HOST": DEFAULT_SOCKET})
    return _context(name, named_by)


def docker_host() -> str:
    """The engine's URL, e.g. unix:///Users/me/.colima/default/docker.sock."""
    return select().host


def selection() -> str:
    """Where the engine was chosen, for messages: "DOCKER_HOST", "docker context colima" or "default socket"."""
    return select().source


def environment() -> dict[str, str]:
    """Variables that make a subprocess (docker CLI, `localcloud up`, a kernel) use this same engine."""
    return dict(select().environment)


def client(timeout: int = DEFAULT_TIMEOUT_SECONDS, **kwargs) -> docker.DockerClient:
    """A client for the engine; the API version is negotiated, so an SDK newer than the engine still works."""
    chosen = select()
    return docker.DockerClient(base_url=chosen.host, tls=chosen.tls or False, version="auto", timeout=timeout,
                               **kwargs)


def architecture(engine: docker.DockerClient | None = None) -> Cpu:
    """The engine's CPU (images build and run for it), by every name the workshop needs."""
    return cpu((engine or client()).info().get("Architecture", ""))


def _context_name() -> tuple[str, str]:
    """The current context's name and what named it (as the docker CLI resolves it when DOCKER_HOST is unset)."""
    if os.environ.get("DOCKER_CONTEXT"):
        return os.environ["DOCKER_CONTEXT"], "DOCKER_CONTEXT"
    path = config_dir() / "config.json"
    settings, problem = _read_json(path)
    if problem not in (None, MISSING):
        raise EngineSelectionError(f"the docker CLI's settings {path} cannot be read ({problem}): repair or remove "
                                   "that file, or `export DOCKER_HOST=…` to name the engine")
    name = settings.get("currentContext") if isinstance(settings, dict) else None
    return name or "default", str(path)


def _context(name: str, named_by: str) -> Selection:
    """A named context's endpoint, from the CLI's store: contexts/meta/<sha256 of the name>/meta.json."""
    context_id = hashlib.sha256(name.encode()).hexdigest()
    meta = config_dir() / "contexts" / "meta" / context_id / "meta.json"
    default = "`unset DOCKER_CONTEXT`" if named_by == "DOCKER_CONTEXT" else "`docker context use default`"
    content, problem = _read_json(meta)
    if problem == MISSING:
        raise EngineSelectionError(
            f"docker context {name!r} (named by {named_by}) does not exist, there is no {meta}: start the engine "
            f"that creates it (`colima start`, Docker Desktop), pick another with `docker context use <name>` "
            f"(`docker context ls` lists them), or {default}")
    endpoint = _docker_endpoint(content)
    host = endpoint.get("Host")
    if problem is None and not (isinstance(host, str) and host):
        problem = "it has no docker endpoint with a Host"
    if problem:
        raise EngineSelectionError(
            f"docker context {name!r} (named by {named_by}) is broken, {meta} cannot be used ({problem}): "
            f"recreate it (`docker context rm {name}`, then start its engine again or "
            f"`docker context create {name} --docker host=…`), or {default}")
    tls, environment = None, {"DOCKER_HOST": host}
    certificates = config_dir() / "contexts" / "tls" / context_id / "docker"
    if certificates.is_dir():  # the CLI keeps a context's TLS material here: ca.pem, cert.pem, key.pem
        verify = not endpoint.get("SkipTLSVerify", False)
        ca, cert, key = (certificates / f"{part}.pem" for part in ("ca", "cert", "key"))
        tls = TLSConfig(client_cert=(str(cert), str(key)) if cert.is_file() and key.is_file() else None,
                        ca_cert=str(ca) if ca.is_file() else None, verify=verify)
        environment.update(DOCKER_CERT_PATH=str(certificates), DOCKER_TLS_VERIFY="1" if verify else "")
    return Selection(host, f"docker context {name}", environment, tls)


def _read_json(path: Path) -> tuple[object, str | None]:
    """The file's JSON, or why not: MISSING, or the error (raised by the caller, outside this handler, unchained)."""
    try:
        return json.loads(path.read_text(encoding="utf-8")), None
    except FileNotFoundError:
        return None, MISSING
    except (OSError, ValueError) as error:
        return None, f"{type(error).__name__}: {error}"


def _docker_endpoint(meta) -> dict:
    endpoints = meta.get("Endpoints") if isinstance(meta, dict) else None
    endpoint = endpoints.get("docker") if isinstance(endpoints, dict) else None
    return endpoint if isinstance(endpoint, dict) else {}
