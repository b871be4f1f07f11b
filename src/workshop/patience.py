"""Waiting for what AWS makes wait, within a bound, saying what it waits for, and naming what is left after.

AWS refuses some deletions for a while after the thing that used them is gone: a security group or subnet keeps
a Lambda network interface for up to 20 minutes, a cluster keeps stopping tasks, a Cloud Map service keeps the
instance ECS is still deregistering. `retry_while` repeats one deletion while AWS answers one of those codes; at
the bound it raises `LeftOver`, which carries the AWS CLI command that finishes the job by hand.
"""
import time
from dataclasses import dataclass, field
from typing import Callable

from botocore.exceptions import ClientError


@dataclass
class Patience:
    """How long to keep trying one deletion; the clock, sleep and output are passed in so tests drive them."""
    seconds: float = 600.0
    network_seconds: float = 25 * 60.0  # Lambda's network interfaces: "up to 20 minutes", plus a margin
    interval: float = 5.0
    progress_every: float = 30.0
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    say: Callable[[str], None] = print


class LeftOver(Exception):
    """A deletion AWS still refused when the wait ran out."""

    def __init__(self, what: str, command: str, reason: str):
        super().__init__(f"{what}: {reason}")
        self.what, self.command, self.reason = what, command, reason


@dataclass
class Pending:
    """What a teardown could not delete, with the commands that delete it."""
    items: list[LeftOver] = field(default_factory=list)

    def lines(self) -> list[str]:
        return [f"{item.what} ({item.reason})\n    {item.command}" for item in self.items]


def error_code(error: ClientError) -> str:
    return error.response["Error"]["Code"]


def retry_while(patience: Patience, action: Callable[[], object], waiting_codes: set[str], what: str,
                command: str, seconds: float | None = None):
    """`action()`, repeated while it fails with one of `waiting_codes`, for at most `seconds`; progress every
    `progress_every` seconds; `LeftOver` when the bound is reached. Other errors go through at once."""
    bound = patience.seconds if seconds is None else seconds
    started = patience.clock()
    next_progress = started + patience.progress_every
    while True:
        try:
            return action()
        except ClientError as error:
            if error_code(error) not in waiting_codes:
                raise
            reason = f"{error_code(error)}: {error.response['Error'].get('Message', '')}"
            waited = patience.clock() - started
            if waited >= bound:
                raise LeftOver(what, command, reason) from error
            if patience.clock() >= next_progress:
                patience.say(f"… still waiting for AWS to let go of {what} ({waited:.0f} s of at most {bound:.0f} s): "
                             f"{reason}")
                next_progress = patience.clock() + patience.progress_every
            patience.sleep(patience.interval)


def wait_until(patience: Patience, done: Callable[[], bool], what: str, command: str,
               seconds: float | None = None) -> None:
    """Poll `done()` until it is true, within the bound; `LeftOver` otherwise."""
    bound = patience.seconds if seconds is None else seconds
    started = patience.clock()
    next_progress = started + patience.progress_every
    while not done():
        waited = patience.clock() - started
        if waited >= bound:
            raise LeftOver(what, command, f"still not done after {waited:.0f} s")
        if patience.clock() >= next_progress:
            patience.say(f"… waiting for {what} ({waited:.0f} s of at most {bound:.0f} s)")
            next_progress = patience.clock() + patience.progress_every
        patience.sleep(patience.interval)
