"""Client for the payment provider (simulated): the shop charges the customer before it records an order."""

import os
import sys
import time
import uuid

from .faults import OrderFault

# Looked up at call time so tests can check the crash path without ending the test run.
exit_process = os._exit


def charge(amount: float, fault: OrderFault) -> str:
    """Charge `amount` and return the provider's transaction id; synchronous and without a timeout."""
    if fault.mode == "block":
        wait_for_provider(fault.seconds)
    elif fault.mode == "crash":
        native_charge_failed()
    return f"txn-{uuid.uuid4().hex[:12]}"


def wait_for_provider(seconds: float) -> None:
    """The provider is slow to answer and the client just waits (simulated with a sleep)."""
    time.sleep(seconds)


def native_charge_failed() -> None:
    """Simulated bug: a crash in the client's native code, like a segfault in a C extension."""
    # No `except` can catch such a crash: the process dies, and with it users and catalog too.
    print("payment client: fatal error in native code, aborting", file=sys.stderr, flush=True)
    exit_process(1)
