"""The orders service's own SQLite database: orders only; books and users live in their services."""

import sqlite3
from collections.abc import Iterator

from fastapi import Request

# No foreign keys to books or users any more: those rows are in other services' databases.
SCHEMA = """
CREATE TABLE IF NOT EXISTS orders (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL,
    book_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL CHECK (quantity >= 1),
    total REAL NOT NULL,
    reservation_id TEXT NOT NULL UNIQUE
);
"""


def connect(path: str) -> sqlite3.Connection:
    """Open the database with rows that behave like dicts."""
    # FastAPI may open the connection in one thread and use it in another; one request uses it at a time.
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def init_db(path: str) -> None:
    """Create the table on first start; later starts keep existing data."""
    conn = connect(path)
    try:
        with conn:
            conn.executescript(SCHEMA)
    finally:
        conn.close()


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    """FastAPI dependency: one connection per request, closed afterwards."""
    conn = connect(request.app.state.settings.database_path)
    try:
        yield conn
    finally:
        conn.close()
