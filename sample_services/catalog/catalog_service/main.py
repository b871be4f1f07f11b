"""Builds the catalog service's app."""

from contextlib import asynccontextmanager

from fastapi import FastAPI

from . import catalog, db, faults, observability
from .settings import Settings

SERVICE = "catalog"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Create the app; settings come from the environment unless given (tests pass their own)."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        db.init_db(settings.database_path)
        yield

    app = FastAPI(title="Bookshop catalog service", version=settings.version, lifespan=lifespan)
    app.state.settings = settings
    app.state.fault = settings.fault
    app.include_router(catalog.router)
    app.include_router(faults.router)
    # The switch again under /catalog, so it can be reached through a load balancer rule `/catalog*`.
    app.include_router(faults.router, prefix=catalog.router.prefix)
    observability.instrument(app, SERVICE, settings.version)

    @app.get("/health", tags=["health"])
    def health():
        """Report that the process is up, and which version it runs."""
        return {"status": "ok", "service": SERVICE, "version": settings.version}

    return app


app = create_app()
