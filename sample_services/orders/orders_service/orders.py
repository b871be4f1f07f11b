"""Orders: a user buys a quantity of a book. Catalog reserves the stock over HTTP; orders records the order and
announces it. The same paths as the monolith's, so a load balancer rule `/orders*` can move them."""

import sqlite3

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from . import events
from .catalog_client import CatalogClient, CatalogError
from .db import get_db
from .faults import inject_fault
from .observability import correlation_id

router = APIRouter(prefix="/orders", tags=["orders"], dependencies=[Depends(inject_fault)])


class OrderCreate(BaseModel):
    # Taken as given: in module 07 the API authenticates the caller, and users stays off the order path.
    user_id: int
    book_id: int
    quantity: int = Field(ge=1, le=100)


class OrderPublic(BaseModel):
    id: int
    user_id: int
    book_id: int
    quantity: int
    total: float


@router.get("", response_model=list[OrderPublic])
def list_orders(db: sqlite3.Connection = Depends(get_db)):
    """List all orders."""
    return [dict(row) for row in db.execute("SELECT id, user_id, book_id, quantity, total FROM orders ORDER BY id")]


@router.get("/{order_id}", response_model=OrderPublic)
def get_order(order_id: int, db: sqlite3.Connection = Depends(get_db)):
    """Return one order."""
    row = db.execute("SELECT id, user_id, book_id, quantity, total FROM orders WHERE id = ?", (order_id,)).fetchone()
    if row is None:
        raise HTTPException(404, "Order not found")
    return dict(row)


# A plain `def`: FastAPI runs it in a worker thread, so waiting for catalog never stalls other requests.
@router.post("", response_model=OrderPublic, status_code=201)
def place_order(order: OrderCreate, request: Request, response: Response, db: sqlite3.Connection = Depends(get_db)):
    """Place an order: reserve the stock in catalog, record the order, then confirm it (X-Confirmation says how)."""
    catalog: CatalogClient = request.app.state.catalog
    try:
        reservation = catalog.reserve(order.book_id, order.quantity)
    except CatalogError as error:
        raise HTTPException(error.status_code, error.detail, headers=error.headers) from None
    total = round(reservation.unit_price * order.quantity, 2)
    with db:
        cursor = db.execute(
            "INSERT INTO orders (user_id, book_id, quantity, total, reservation_id) VALUES (?, ?, ?, ?, ?)",
            (order.user_id, order.book_id, order.quantity, total, reservation.id),
        )
    placed = {"id": cursor.lastrowid, **order.model_dump(), "total": total}
    event = events.order_placed(placed, reservation.unit_price, correlation_id.get())
    response.headers["X-Confirmation"] = confirm(request.app.state, event)
    return placed


def confirm(state, event: dict) -> str:
    """Publish the event and/or call the notifier; the answer names what happened: sent, failed, queued,
    not-queued or off (neither configured)."""
    outcome = "off"
    if state.order_events:
        outcome = "queued" if state.order_events.publish(event) else "not-queued"
    if state.sync_confirmation:
        outcome = "sent" if state.sync_confirmation.send(event) else "failed"
    return outcome
