"""The data planes, imported and started in the background once the control plane answers.

Importing moto's service modules takes seconds (moto.apigateway alone pulls in an OpenAPI validator), so the control
plane answers first and the planes follow, in order. A call to a moto backend that a plane patches is held until
that plane has started: no call ever sees moto unpatched, it only waits.
"""
import dataclasses
import importlib
import logging
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError, Future

log = logging.getLogger(__name__)

# One import of moto service modules at a time: two threads importing moto's cyclic modules can deadlock.
MOTO_IMPORTS = threading.RLock()


@dataclasses.dataclass(frozen=True)
class PlaneSpec:
    name: str
    target: str  # "module:Class"
    # moto's server apps (the names its dispatcher gives them) whose calls behave differently once this plane runs
    moto_backends: tuple[str, ...]

    def make(self):
        module, _, cls = self.target.partition(":")
        with MOTO_IMPORTS:
            return getattr(importlib.import_module(module), cls)()


@dataclasses.dataclass
class Loading:
    """One plane on its way up: made (imported), then started; `done` once it has started or failed."""
    name: str
    moto_backends: tuple[str, ...]
    make: Callable[[], object]
    plane: object | None = None
    error: str | None = None
    done: threading.Event = dataclasses.field(default_factory=threading.Event)

    def status(self) -> dict:
        if self.plane is not None:
            return self.plane.status()
        if self.error is not None:
            return {"ready": False, "error": self.error}
        return {"ready": False, "loading": True}


class PlaneLoader:
    def __init__(self, loadings: list[Loading], start_plane: Callable[[object], None],
                 prepare: Callable[[], None] = lambda: None):
        self.loadings = loadings
        self.started: list = []  # planes in start order; a later plane finds an earlier one here
        self.failure: BaseException | None = None
        self._start_plane = start_plane
        self._prepare = prepare  # what every plane needs first (the cloud's network), run before the first start
        self._stopping = threading.Event()
        self._finished = threading.Event()
        self._made = [Future() for _ in loadings]
        # Imports run ahead of starts, so the next plane's modules load while the engine starts this plane's containers.
        self._importer = threading.Thread(target=self._import_all, name="plane-import", daemon=True)
        self._starter = threading.Thread(target=self._start_all, name="plane-start", daemon=True)

    def start(self) -> "PlaneLoader":
        self._importer.start()
        self._starter.start()
        return self

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """True once every plane has started or one has failed (then `failure` says why)."""
        return self._finished.wait(timeout)

    def hold(self, backend: str, timeout: float) -> str | None:
        """Wait until the planes that patch `backend` have started; a reason to refuse the call if one has not."""
        for loading in self.loadings:
            if backend not in loading.moto_backends:
                continue
            if not loading.done.wait(timeout):
                return f"the local cloud's {loading.name} part is still loading; try again in a moment"
            if loading.error is not None:
                return (f"the local cloud's {loading.name} part failed to start ({loading.error}); "
                        f"see its log, then `localcloud down` and `localcloud up --detach`")
        return None

    def status(self) -> dict[str, dict]:
        return {loading.name: loading.status() for loading in self.loadings}

    def stop(self) -> list:
        """No further plane starts; returns, once the one starting has, the planes to stop."""
        self._stopping.set()
        if self._starter.ident is not None:  # never started when the cloud failed before its planes
            self._starter.join()
        return self.started

    def _import_all(self) -> None:
        for loading, made in zip(self.loadings, self._made):
            if self._stopping.is_set() or self._finished.is_set():  # what will not start need not be made
                made.cancel()
                continue
            try:
                made.set_result(loading.make())
            except BaseException as error:  # the starter reports it: it owns the outcome
                made.set_exception(error)

    def _start_all(self) -> None:
        try:
            self._prepare()
        except BaseException as error:  # no plane can start: each says why
            log.exception("the local cloud could not prepare its data planes")
            self._finish(error, f"not started: {type(error).__name__}: {error}")
            return
        for loading, made in zip(self.loadings, self._made):
            if self._stopping.is_set():
                break
            try:
                plane = made.result()
                if self._stopping.is_set():
                    break  # stopped while it was imported
                self._start_plane(plane)
            except CancelledError:
                break  # stopping: its import was never begun
            except BaseException as error:  # a plane that cannot start must not leave calls hanging
                log.exception("the %s part failed to start", loading.name)
                loading.error = f"{type(error).__name__}: {error}"
                self._finish(error, "not started: an earlier part failed to start")  # a later one may rely on it
                return
            self.started.append(plane)
            loading.plane = plane
            loading.done.set()
        self._finish(None, "not started: the local cloud is stopping")

    def _finish(self, failure: BaseException | None, unstarted: str) -> None:
        self.failure = failure
        for loading in self.loadings:
            if loading.plane is None and loading.error is None:
                loading.error = unstarted
            loading.done.set()
        self._finished.set()
