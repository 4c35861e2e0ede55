"""Shared FastAPI pieces: the app factory, errors, the caller dependency, schemas, routers, the
OpenAPI document of the whole API and the docs routes."""
