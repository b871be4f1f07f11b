"""The orders fault switch for the module 01 demo, readable and settable at runtime."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from .settings import FaultMode, Settings

router = APIRouter(prefix="/admin/faults", tags=["admin"])


class OrderFault(BaseModel):
    """off: orders work; block: the payment provider hangs `seconds` per order; crash: an order kills the process."""

    mode: FaultMode = "off"
    seconds: float = Field(default=Settings.orders_fault_seconds, ge=0)


def get_order_fault(request: Request) -> OrderFault:
    """FastAPI dependency: the switch as it is now (set from the environment, changed by PUT)."""
    return request.app.state.order_fault


@router.get("/orders", response_model=OrderFault)
def read_order_fault(request: Request):
    """Show the orders fault switch."""
    return get_order_fault(request)


@router.put("/orders", response_model=OrderFault)
def set_order_fault(fault: OrderFault, request: Request):
    """Switch the orders fault without a restart."""
    request.app.state.order_fault = fault
    return fault
