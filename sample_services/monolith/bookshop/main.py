"""Builds the bookshop app: one process serving users, catalog and orders from one database."""

import socket
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request

from . import catalog, db, faults, orders, users
from .settings import Settings


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the app; settings come from the environment unless given (tests pass their own)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db.init_db(settings.database_path)
        yield

    app = FastAPI(title="Bookshop monolith", version=settings.version, lifespan=lifespan)
    app.state.settings = settings
    app.state.order_fault = faults.OrderFault(mode=settings.orders_fault, seconds=settings.orders_fault_seconds)
    for module in (users, catalog, orders, faults):
        app.include_router(module.router)

    # Every response names the process that answered, so a notebook can see who served it.
    served_by = f"monolith/{settings.version}/{socket.gethostname()}"

    @app.middleware("http")
    async def add_served_by(request: Request, call_next):
        response = await call_next(request)
        response.headers["X-Served-By"] = served_by
        return response

    @app.get("/health", tags=["health"])
    def health():
        """Report that the process is up, and which version it runs."""
        return {"status": "ok", "version": settings.version}

    return app


app = create_app()
