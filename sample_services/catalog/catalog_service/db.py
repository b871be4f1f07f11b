"""The catalog service's own SQLite database: nobody else reads or writes it, other services ask over HTTP."""

import sqlite3
from collections.abc import Iterator

from fastapi import Request

# Reservations replace the monolith's cross-domain transaction: orders reserves stock here, by a key it chooses.
SCHEMA = """
CREATE TABLE IF NOT EXISTS books (
    id INTEGER PRIMARY KEY,
    title TEXT NOT NULL,
    author TEXT NOT NULL,
    price REAL NOT NULL CHECK (price > 0),
    stock INTEGER NOT NULL CHECK (stock >= 0)
);
CREATE TABLE IF NOT EXISTS reservations (
    id TEXT PRIMARY KEY,
    book_id INTEGER NOT NULL REFERENCES books (id),
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    unit_price REAL NOT NULL
);
"""

# The monolith's books, so a request gives the same answer before and after the split.
SEED_BOOKS = [
    ("Pride and Prejudice", "Jane Austen", 9.99, 12),
    ("Moby-Dick", "Herman Melville", 12.50, 7),
    ("Frankenstein", "Mary Shelley", 8.75, 10),
    ("The Time Machine", "H. G. Wells", 7.20, 15),
    ("Middlemarch", "George Eliot", 14.00, 4),
    ("Dracula", "Bram Stoker", 10.40, 9),
    ("The Odyssey", "Homer", 11.30, 6),
    ("War and Peace", "Leo Tolstoy", 18.90, 2),
]


def connect(path: str) -> sqlite3.Connection:
    """Open the database with rows that behave like dicts."""
    # FastAPI may open the connection in one thread and use it in another; one request uses it at a time.
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def init_db(path: str) -> None:
    """Create the tables and seed them on first start; later starts keep existing data."""
    conn = connect(path)
    try:
        with conn:
            conn.executescript(SCHEMA)
            if conn.execute("SELECT COUNT(*) FROM books").fetchone()[0] == 0:
                conn.executemany("INSERT INTO books (title, author, price, stock) VALUES (?, ?, ?, ?)", SEED_BOOKS)
    finally:
        conn.close()


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    """FastAPI dependency: one connection per request, closed afterwards."""
    conn = connect(request.app.state.settings.database_path)
    try:
        yield conn
    finally:
        conn.close()
