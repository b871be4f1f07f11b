"""Catalog domain: the books on sale, their price and stock."""

import sqlite3

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from .db import get_db

router = APIRouter(prefix="/catalog", tags=["catalog"])


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
