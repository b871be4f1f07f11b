"""Users: who can place orders. The same paths as the monolith's, so a load balancer rule `/users*` can move them."""

import sqlite3

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel, Field

from .db import get_db
from .faults import inject_fault

router = APIRouter(prefix="/users", tags=["users"], dependencies=[Depends(inject_fault)])


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    # A shape check only; real address validation needs an extra dependency this service does without.
    email: str = Field(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class UserPublic(BaseModel):
    id: int
    name: str
    email: str


@router.get("", response_model=list[UserPublic])
def list_users(db: sqlite3.Connection = Depends(get_db)):
    """List all users."""
    return [dict(row) for row in db.execute("SELECT id, name, email FROM users ORDER BY id")]


@router.get("/{user_id}", response_model=UserPublic)
def get_user(user_id: int, db: sqlite3.Connection = Depends(get_db)):
    """Return one user."""
    row = db.execute("SELECT id, name, email FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise HTTPException(404, "User not found")
    return dict(row)


@router.post("", response_model=UserPublic, status_code=201)
def create_user(user: UserCreate, db: sqlite3.Connection = Depends(get_db)):
    """Register a user; an email can be registered once."""
    try:
        with db:
            cursor = db.execute("INSERT INTO users (name, email) VALUES (?, ?)", (user.name, user.email))
    except sqlite3.IntegrityError:
        raise HTTPException(409, f"Email {user.email} is already registered") from None
    return {"id": cursor.lastrowid, **user.model_dump()}
