"""How each part's moto_patches.py changes moto: wrap one method, and apply a part's fixes once per process."""
import functools
import threading
from collections.abc import Callable


def wrap(owner, name: str, make: Callable[[Callable], Callable]) -> None:
    """Replace `owner.name` with `make(original)`, keeping the original's name and docstring."""
    original = getattr(owner, name)
    setattr(owner, name, functools.wraps(original)(make(original)))


def applied_once(apply: Callable[[], None]) -> Callable[[], None]:
    """Decorate a part's `apply()`: moto's classes are patched once per process, however many clouds start."""
    lock = threading.Lock()
    done = False

    @functools.wraps(apply)
    def once() -> None:
        nonlocal done
        with lock:
            if done:
                return
            done = True
        apply()
    return once
