"""Builds the orders service's app."""

from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request

from . import db, faults, observability, orders
from .catalog_client import CatalogClient
from .confirmation import SyncConfirmation
from .events import OrderEvents
from .settings import Settings

SERVICE = "orders"
breaker_router = APIRouter(tags=["admin"])


@breaker_router.get("/admin/catalog-breaker")
def read_catalog_breaker(request: Request):
    """Show the circuit breaker on calls to catalog (closed, open or half-open, and the failures counted)."""
    return request.app.state.catalog.breaker_state()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the app; settings come from the environment unless given (tests pass their own)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if not settings.catalog_url:
            raise RuntimeError("CATALOG_URL is not set: orders needs the catalog's address, e.g. "
                               "CATALOG_URL=http://catalog:8000 or the load balancer's http://<DNSName>")
        db.init_db(settings.database_path)
        yield
        app.state.catalog.close()
        if app.state.sync_confirmation:
            app.state.sync_confirmation.close()

    app = FastAPI(title="Bookshop orders service", version=settings.version, lifespan=lifespan)
    app.state.settings = settings
    app.state.fault = settings.fault
    app.state.catalog = CatalogClient(settings)
    app.state.order_events = OrderEvents(settings.order_events_topic_arn) if settings.order_events_topic_arn else None
    app.state.sync_confirmation = (SyncConfirmation(settings.confirmation_url, settings.confirmation_timeout_seconds)
                                   if settings.confirmation_url else None)
    app.include_router(orders.router)
    # The admin routes again under /orders, so they can be reached through a load balancer rule `/orders*`.
    for prefix in ("", orders.router.prefix):
        app.include_router(faults.router, prefix=prefix)
        app.include_router(breaker_router, prefix=prefix)
    observability.instrument(app, SERVICE, settings.version)

    @app.get("/health", tags=["health"])
    def health():
        """Report that the process is up, and which version it runs."""
        return {"status": "ok", "service": SERVICE, "version": settings.version}

    return app


app = create_app()
