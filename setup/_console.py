"""How setup steps talk: one line per step, a ✔ when done or skipped, a ✘ with the fix when not."""
import sys


class SetupError(Exception):
    """A step cannot be done here; the message says what to do instead."""


def step(message: str) -> None:
    print(f"→ {message}", flush=True)


def done(message: str) -> None:
    print(f"✔ {message}", flush=True)


def fail(error: SetupError) -> int:
    print(f"✘ {error}", file=sys.stderr, flush=True)
    return 1
