"""Orders domain: a user buys a quantity of a book; stock goes down, the total is charged."""

import sqlite3

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from . import payments
from .db import get_db
from .faults import OrderFault, get_order_fault

router = APIRouter(prefix="/orders", tags=["orders"])


class OrderCreate(BaseModel):
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


@router.post("", response_model=OrderPublic, status_code=201)
async def place_order(
    order: OrderCreate,
    db: sqlite3.Connection = Depends(get_db),
    fault: OrderFault = Depends(get_order_fault),
):
    """Place an order: check user and stock, charge the payment provider, take the books off the shelf."""
    if db.execute("SELECT 1 FROM users WHERE id = ?", (order.user_id,)).fetchone() is None:
        raise HTTPException(404, "User not found")
    book = db.execute("SELECT price, stock FROM books WHERE id = ?", (order.book_id,)).fetchone()
    if book is None:
        raise HTTPException(404, "Book not found")
    if book["stock"] < order.quantity:
        left, wanted = book["stock"], order.quantity
        raise HTTPException(409, f"Not enough stock for book {order.book_id}: {wanted} requested, {left} left")
    total = round(book["price"] * order.quantity, 2)
    # The module 01 bug: a blocking call inside `async def` holds up the event loop, so every request waits.
    payments.charge(total, fault)
    with db:
        # The stock condition makes the decrement safe even if another order got there first.
        taken = db.execute(
            "UPDATE books SET stock = stock - ? WHERE id = ? AND stock >= ?",
            (order.quantity, order.book_id, order.quantity),
        ).rowcount
        if not taken:
            raise HTTPException(409, f"Not enough stock for book {order.book_id}: sold out while ordering")
        cursor = db.execute(
            "INSERT INTO orders (user_id, book_id, quantity, total) VALUES (?, ?, ?, ?)",
            (order.user_id, order.book_id, order.quantity, total),
        )
    return {"id": cursor.lastrowid, **order.model_dump(), "total": total}
