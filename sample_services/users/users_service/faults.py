"""The fault switch for the failure demos (modules 05 and 08): crash, slow down or break this service's requests.

The same file is in users, catalog and orders: an image is built from one service folder, so each carries its own
copy (sample_services/tests/test_service_copies.py checks that the copies agree).
"""

import asyncio
import logging
import os
import random
from collections.abc import Mapping
from typing import Literal, get_args

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

FaultMode = Literal["off", "crash", "slow", "errors"]
FAULT_MODES = get_args(FaultMode)

# Looked up at call time so tests can check the crash path without ending the test run.
exit_process = os._exit

log = logging.getLogger(__package__)
router = APIRouter(tags=["admin"])


class FaultSwitch(BaseModel):
    """off: normal; crash: the next request ends the process; slow: each request waits `seconds` first;
    errors: requests answer 500. `rate` is the share of requests affected (1 = all)."""

    mode: FaultMode = "off"
    seconds: float = Field(default=5.0, ge=0)
    rate: float = Field(default=1.0, ge=0, le=1)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "FaultSwitch":
        """Read FAULT, FAULT_SECONDS and FAULT_RATE; a bad value fails at start-up with the allowed ones."""
        mode = environ.get("FAULT", "off").strip().lower()
        if mode not in FAULT_MODES:
            raise ValueError(f"FAULT must be one of {', '.join(FAULT_MODES)}; got {mode!r}")
        seconds = float(environ.get("FAULT_SECONDS", 5.0))
        if seconds < 0:
            raise ValueError(f"FAULT_SECONDS must be 0 or more; got {seconds}")
        rate = float(environ.get("FAULT_RATE", 1.0))
        if not 0 <= rate <= 1:
            raise ValueError(f"FAULT_RATE must be between 0 and 1; got {rate}")
        return cls(mode=mode, seconds=seconds, rate=rate)


@router.get("/admin/faults", response_model=FaultSwitch)
def read_fault(request: Request):
    """Show the fault switch."""
    return request.app.state.fault


@router.put("/admin/faults", response_model=FaultSwitch)
def set_fault(fault: FaultSwitch, request: Request):
    """Switch a fault on or off without a restart (this process only; a restart resets it to FAULT)."""
    request.app.state.fault = fault
    log.warning("fault switch set", extra={"fields": fault.model_dump()})
    return fault


async def slow_down(seconds: float) -> None:
    """An await, not time.sleep: only this request waits, the rest of the service keeps answering."""
    await asyncio.sleep(seconds)


async def inject_fault(request: Request) -> None:
    """Dependency of the service's own routes (not /health, not /admin): apply the switch to this request."""
    fault: FaultSwitch = request.app.state.fault
    if fault.mode == "off" or random.random() >= fault.rate:
        return
    if fault.mode == "crash":
        log.critical("fault switch: crashing the process", extra={"fields": {"path": request.url.path}})
        exit_process(1)
    elif fault.mode == "slow":
        await slow_down(fault.seconds)
    elif fault.mode == "errors":
        raise HTTPException(500, 'Injected fault: this service answers errors until PUT /admin/faults {"mode": "off"}')
