"""Catalog: the books on sale, their price and stock. The same paths as the monolith's `/catalog/books…`, so a
load balancer rule `/catalog*` can move them (module 03's strangler step)."""

import sqlite3

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel, Field

from .db import get_db
from .faults import inject_fault

router = APIRouter(prefix="/catalog", tags=["catalog"], dependencies=[Depends(inject_fault)])


class BookCreate(BaseModel):
    title: str = Field(min_length=1, max_length=200)
    author: str = Field(min_length=1, max_length=100)
    price: float = Field(gt=0)
    stock: int = Field(ge=0)


class BookPublic(BaseModel):
    id: int
    title: str
    author: str
    price: float
    stock: int


class ReservationCreate(BaseModel):
    quantity: int = Field(ge=1, le=100)


class ReservationPublic(BaseModel):
    id: str
    book_id: int
    quantity: int
    unit_price: float


@router.get("/books", response_model=list[BookPublic])
def list_books(db: sqlite3.Connection = Depends(get_db)):
    """List all books with their price and stock."""
    return [dict(row) for row in db.execute("SELECT id, title, author, price, stock FROM books ORDER BY id")]


@router.get("/books/{book_id}", response_model=BookPublic)
def get_book(book_id: int, db: sqlite3.Connection = Depends(get_db)):
    """Return one book."""
    row = db.execute("SELECT id, title, author, price, stock FROM books WHERE id = ?", (book_id,)).fetchone()
    if row is None:
        raise HTTPException(404, "Book not found")
    return dict(row)


@router.post("/books", response_model=BookPublic, status_code=201)
def create_book(book: BookCreate, db: sqlite3.Connection = Depends(get_db)):
    """Add a book to the catalog."""
    with db:
        cursor = db.execute(
            "INSERT INTO books (title, author, price, stock) VALUES (?, ?, ?, ?)",
            (book.title, book.author, book.price, book.stock),
        )
    return {"id": cursor.lastrowid, **book.model_dump()}


def find_reservation(db: sqlite3.Connection, reservation_id: str) -> dict | None:
    row = db.execute(
        "SELECT id, book_id, quantity, unit_price FROM reservations WHERE id = ?", (reservation_id,)
    ).fetchone()
    return dict(row) if row else None


def replay(existing: dict, book_id: int, quantity: int) -> dict:
    """A repeated PUT (a retry) gets the first answer; the same key for another book or quantity is a conflict."""
    if (existing["book_id"], existing["quantity"]) != (book_id, quantity):
        raise HTTPException(409, f"Reservation {existing['id']} already exists for another book or quantity")
    return existing


@router.put("/books/{book_id}/reservations/{reservation_id}", response_model=ReservationPublic, status_code=201)
def reserve_stock(
    book_id: int,
    reservation_id: str,
    reservation: ReservationCreate,
    response: Response,
    db: sqlite3.Connection = Depends(get_db),
):
    """Take `quantity` copies off the shelf at today's price; idempotent, so the caller may safely retry."""
    existing = find_reservation(db, reservation_id)
    if existing:
        response.status_code = 200
        return replay(existing, book_id, reservation.quantity)
    book = db.execute("SELECT price, stock FROM books WHERE id = ?", (book_id,)).fetchone()
    if book is None:
        raise HTTPException(404, "Book not found")
    try:
        with db:
            # The stock condition makes the decrement safe even if another order got there first.
            taken = db.execute(
                "UPDATE books SET stock = stock - ? WHERE id = ? AND stock >= ?",
                (reservation.quantity, book_id, reservation.quantity),
            ).rowcount
            if not taken:
                left, wanted = book["stock"], reservation.quantity
                raise HTTPException(409, f"Not enough stock for book {book_id}: {wanted} requested, {left} left")
            db.execute(
                "INSERT INTO reservations (id, book_id, quantity, unit_price) VALUES (?, ?, ?, ?)",
                (reservation_id, book_id, reservation.quantity, book["price"]),
            )
    except sqlite3.IntegrityError:
        # A retry overtook the first attempt and stored the same key; the rollback undid this one's decrement.
        response.status_code = 200
        return replay(find_reservation(db, reservation_id), book_id, reservation.quantity)
    return {"id": reservation_id, "book_id": book_id, "quantity": reservation.quantity, "unit_price": book["price"]}
