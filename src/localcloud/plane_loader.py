"""The data planes, imported and started in the background once the control plane answers.

Importing moto's service modules takes seconds (moto.apigateway alone pulls in an OpenAPI validator), so the control
plane answers first and the planes follow, in order. A call to a moto backend that a plane patches is held until
that plane has started: no call ever sees moto unpatched, it only waits.

A plane that fails to start stops only itself and the planes that need it: every other plane still starts, so a
learner keeps the parts that work, and calls to a failed part are refused saying why. Only when nothing could start
(the shared preparation failed, or every plane did) is the loading a `failure` as a whole.
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
    # earlier planes this one cannot start without; a plane used only when present (`cloud.part`) is not needed
    needs: tuple[str, ...] = ()

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
    needs: tuple[str, ...] = ()
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
        check_needs(loadings)
        self.loadings = loadings
        self.started: list = []  # planes in start order; a later plane finds an earlier one here
        self.failed: dict[str, BaseException] = {}  # planes whose start raised, by name
        # Set only when no plane could start (the preparation failed, or every plane did): the cloud is of no use.
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
        """True once every plane has started, failed or been left out; `failure` is set if none could start."""
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
            if self._stopping.is_set() or loading.done.is_set():  # what will not start need not be made
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
            missing = next((name for name in loading.needs if name in self._unavailable()), None)
            if missing is not None:  # starting it would only fail later, less clearly
                self._settle(loading, error=f"not started: it needs the {missing} part, which failed to start")
                continue
            try:
                plane = made.result()
                if self._stopping.is_set():
                    break  # stopped while it was imported
                self._start_plane(plane)
            except CancelledError:
                break  # stopping: its import was never begun
            except BaseException as error:  # a plane that cannot start must not leave calls hanging, nor stop others
                log.exception("the %s part failed to start", loading.name)
                self.failed[loading.name] = error
                self._settle(loading, error=f"{type(error).__name__}: {error}")
                continue
            self.started.append(plane)
            self._settle(loading, plane=plane)
        if self._stopping.is_set():
            self._finish(None, "not started: the local cloud is stopping")
            return
        if self.started and self._unavailable():  # said before `wait` returns, so it precedes what follows
            log.warning("parts of the local cloud that did not start: %s (see above); calls to them are refused "
                        "saying why, the other parts run", ", ".join(sorted(self._unavailable())))
        self._finish(self._overall_failure(), "not started")

    def _unavailable(self) -> set[str]:
        """Planes done without starting: failed, or left out for a failed one they need."""
        return {loading.name for loading in self.loadings if loading.done.is_set() and loading.plane is None}

    def _overall_failure(self) -> BaseException | None:
        """The first plane's error when every plane failed; None while any runs (the others are still of use)."""
        if self.started or not self.failed:
            return None
        return next(iter(self.failed.values()))

    @staticmethod
    def _settle(loading: Loading, plane: object | None = None, error: str | None = None) -> None:
        loading.plane, loading.error = plane, error
        loading.done.set()

    def _finish(self, failure: BaseException | None, unstarted: str) -> None:
        self.failure = failure
        for loading in self.loadings:
            if loading.plane is None and loading.error is None:
                loading.error = unstarted
            loading.done.set()
        self._finished.set()


def check_needs(loadings: list[Loading]) -> None:
    """A plane may need only planes that start before it; a needed plane not loaded at all is not waited for."""
    names = [loading.name for loading in loadings]
    for position, loading in enumerate(loadings):
        later = [name for name in loading.needs if name in names[position:]]
        if later:
            raise ValueError(f"the {loading.name} plane needs {', '.join(later)}, which start(s) after it: "
                             f"put what it needs first")
