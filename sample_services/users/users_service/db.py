"""The users service's own SQLite database: nobody else reads or writes it, other services ask over HTTP."""

import sqlite3
from collections.abc import Iterator

from fastapi import Request

SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL UNIQUE
);
"""

# The monolith's users, so a request gives the same answer before and after the split.
SEED_USERS = [
    ("Ada Fernandes", "ada@example.com"),
    ("Kenji Watanabe", "kenji@example.com"),
    ("Maria Okafor", "maria@example.com"),
    ("Sam Lindqvist", "sam@example.com"),
]


def connect(path: str) -> sqlite3.Connection:
    """Open the database with rows that behave like dicts."""
    # FastAPI may open the connection in one thread and use it in another; one request uses it at a time.
    conn = sqlite3.connect(path, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


def init_db(path: str) -> None:
    """Create the table and seed it on first start; later starts keep existing data."""
    conn = connect(path)
    try:
        with conn:
            conn.executescript(SCHEMA)
            if conn.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0:
                conn.executemany("INSERT INTO users (name, email) VALUES (?, ?)", SEED_USERS)
    finally:
        conn.close()


def get_db(request: Request) -> Iterator[sqlite3.Connection]:
    """FastAPI dependency: one connection per request, closed afterwards."""
    conn = connect(request.app.state.settings.database_path)
    try:
        yield conn
    finally:
        conn.close()
