"""The one way notebooks, checks and tests reach the Docker engine.

The engine is the one the docker CLI uses (DOCKER_HOST, else its current context: see `localcloud.engine`).
`get_client()` negotiates the API version with the engine (`version="auto"`), so an SDK newer than the engine
still works, and it says what to do when no engine answers instead of showing a socket traceback.
"""
import docker

from localcloud import engine

ENGINE_HELP = ("start one: on Linux run `make lab` (it starts an engine when none answers), on macOS or Windows "
               "start Docker Desktop (or `colima start`), then re-run this cell")

_client: docker.DockerClient | None = None


class WorkshopError(Exception):
    """A problem a learner can act on: notebooks show its message, not a traceback."""

    def _render_traceback_(self):
        # IPython calls this instead of printing the stack: the message already says what to do.
        return [f"\x1b[31m✘ {self}\x1b[0m"]


class EngineUnavailable(WorkshopError):
    """No Docker engine answers."""


def get_client(timeout: int = 120) -> docker.DockerClient:
    """A client for the local Docker engine, shared by everything in this kernel; checked with a ping."""
    global _client
    if _client is not None:
        try:
            _client.ping()
            return _client
        except Exception:
            _client = None
    try:
        client = engine.client(timeout=timeout)
        client.ping()
    except engine.EngineSelectionError as error:
        raise EngineUnavailable(str(error)) from None  # it already says which setting to fix
    except docker.errors.DockerException as error:
        reason = str(error).splitlines()[0][:160]
        raise EngineUnavailable(f"no Docker engine answers ({reason}): {ENGINE_HELP}") from None
    _client = client
    return client
