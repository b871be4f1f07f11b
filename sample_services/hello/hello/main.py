"""A greeting service: just enough to show that a container serves, and who answered."""

import os
import socket

from fastapi import FastAPI

VERSION = os.environ.get("APP_VERSION", "1.0")

app = FastAPI(title="Hello service", version=VERSION)


@app.get("/health")
def health():
    """Report that the process is up, and which version it runs."""
    return {"status": "ok", "service": "hello", "version": VERSION}


@app.get("/hello/{name}")
def hello(name: str):
    """Greet `name`, and say which host (container) answered."""
    return {"message": f"Hello, {name}!", "served_by": socket.gethostname()}
