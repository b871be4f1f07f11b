"""The few places where the local cloud still replaces an attribute of moto itself, each recorded with its reason.

Operations a data plane owns go through its provider (`localcloud.providers`), not through a changed moto. What is
left here is what a provider cannot reach (moto calling its own models); `docs/localcloud.md` lists each one and
`tests/localcloud/test_moto_guard.py` checks the list against what really changes in moto.
"""
import dataclasses
import functools
import threading
from collections.abc import Callable


@dataclasses.dataclass(frozen=True)
class Replacement:
    owner: object  # a moto class or module
    name: str
    why: str

    @property
    def where(self) -> str:
        """`module.Class.attribute` or `module.attribute`."""
        if isinstance(self.owner, type):
            return f"{self.owner.__module__}.{self.owner.__qualname__}.{self.name}"
        return f"{self.owner.__name__}.{self.name}"


# Every replacement made in this process, in the order made.
REPLACEMENTS: list[Replacement] = []
_lock = threading.Lock()


def replace(owner, name: str, new, why: str) -> None:
    """Set `owner.name` to `new` once per process, and record why."""
    with _lock:
        if any(r.owner is owner and r.name == name for r in REPLACEMENTS):
            return
        setattr(owner, name, new)
        REPLACEMENTS.append(Replacement(owner, name, why))


def wrap(owner, name: str, make: Callable[[Callable], Callable], why: str = "") -> None:
    """Replace `owner.name` with `make(original)`, keeping the original's name and docstring."""
    with _lock:
        if any(r.owner is owner and r.name == name for r in REPLACEMENTS):
            return
    original = getattr(owner, name)
    replace(owner, name, functools.wraps(original)(make(original)), why)


def applied_once(apply: Callable[[], None]) -> Callable[[], None]:
    """Decorate a part's `apply()`: it runs once per process, and counts as done only once it has completed."""
    lock = threading.Lock()
    done = False

    @functools.wraps(apply)
    def once() -> None:
        nonlocal done
        with lock:  # a second caller waits for the first to finish, and a failed apply is tried again
            if not done:
                apply()
                done = True
    return once
